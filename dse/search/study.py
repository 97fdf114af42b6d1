"""Running a study: sampler, storage, the live display, and resumption by re-running."""

from __future__ import annotations

import re
import time
from pathlib import Path

import optuna
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from dse.data import load_files
from dse.errors import ConfigError, Interrupted, StoreError, TrainingError
from dse.paths import check_study_name, study_folder
from dse.search.baselines import enqueue_baselines
from dse.search.display import make_display
from dse.search.feasible import make_sampler
from dse.search.objective import Objective
from dse.search.space import SearchSpace
from dse.search.supernets import ensure_supernets
from dse.search.warmstart import enqueue_feasible_start
from dse.store import Store
from dse.train import resolve_device


def parse_duration(text: str | None) -> float | None:
    """'90s', '30m', '2h', '1h30m' or plain seconds -> seconds."""
    if text is None:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)([hms])", text)
    if not parts or "".join(a + b for a, b in parts) != text:
        raise ConfigError(f"--timeout {text!r} is not a duration; write e.g. 90s, 30m, 2h, "
                          f"1h30m or a number of seconds.")
    return sum(float(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)


def open_study(space: SearchSpace, study_name: str, store: Store, fidelity: str,
               seed: int) -> optuna.Study:
    """Create the study or load it to continue; refuses a different objective or fidelity."""
    study = optuna.create_study(study_name=study_name, storage=store.optuna,
                                directions=space.directions, load_if_exists=True)
    attrs = study.user_attrs
    if attrs.get("objectives", space.objectives) != space.objectives:
        raise ConfigError(f"study {study_name!r} optimises {attrs['objectives']}, not "
                          f"{space.objectives}; use another --study name.")
    if attrs.get("fidelity", fidelity) != fidelity:
        raise ConfigError(f"study {study_name!r} was run at fidelity {attrs['fidelity']!r}; "
                          f"mixing fidelities makes its values incomparable. Use "
                          f"--fidelity {attrs['fidelity']} or another --study name.")
    for key, value in (("space", space.name), ("objectives", space.objectives),
                       ("fidelity", fidelity), ("dataset", space.dataset),
                       ("constraints", [str(c) for c in space.constraints])):
        if attrs.get(key) != value:
            study.set_user_attr(key, value)
    if study.metric_names != space.objectives:  # optuna-dashboard labels the objectives
        study.set_metric_names(space.objectives)
    # Seeded by the study's length, so that a re-run continues rather than replays.
    study.sampler = make_sampler(space, seed + len(study.trials))
    return study


def prepare_study(space: SearchSpace, study_name: str | None, storage: str | None,
                  n_trials: int | None, fidelity: str | None, seed: int, data_dir=None,
                  download: bool = False, console: Console | None = None,
                  artifacts: Path = Path("studies"), device: str = "auto",
                  supernet: Path | None = None) -> tuple[str, str]:
    """Check inputs, open (or create) the study, enqueue its feasible start and train a
    oneshot fidelity's missing supernets, once, before workers start; returns (study name,
    fidelity)."""
    fidelity = fidelity or space.default_fidelity
    if fidelity not in space.fidelities:
        raise ConfigError(f"space {space.name!r} has no fidelity {fidelity!r}; it has "
                          f"{', '.join(space.fidelities)}.")
    name = check_study_name(study_name or space.study)
    load_files(space.dataset, data_dir, download)  # fail on missing data before any write
    store = Store(storage)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = open_study(space, name, store, fidelity, seed)
    with store.exclusive():  # workers starting together: the first enqueues, the rest see it
        started = enqueue_feasible_start(space, study, n_trials, seed)
        done = enqueue_baselines(space, study, space.baselines)
    if started and console is not None:
        console.print(f"feasible start: {started} random candidates that meet the "
                      f"architecture constraints were enqueued as the first trials",
                      soft_wrap=True, markup=False)
    if console is not None and any(what != "already in the study" for _, what in done):
        console.print("baselines (the papers' variants at this fidelity, default recipe): "
                      + "; ".join(f"{n} {what}" for n, what in done), soft_wrap=True,
                      markup=False)
    if space.fidelities[fidelity].oneshot is not None:
        say = (lambda text: console.print(text, soft_wrap=True, markup=False)) if console \
            else (lambda text: None)
        ensure_supernets(space, fidelity, study_folder(artifacts, name), seed, data_dir,
                         download, resolve_device(device), supernet, say)
    return name, fidelity


def time_left(timeout: float | None, since: float) -> float | None:
    """What is left of `timeout` seconds counted from monotonic time `since` (at least 1 s,
    so that a spent timeout still ends at once after one trial at most)."""
    return None if timeout is None else max(timeout - (time.monotonic() - since), 1.0)


def run_study(space: SearchSpace, study_name: str | None = None, storage: str | None = None,
              n_trials: int | None = None, timeout: float | None = None,
              fidelity: str | None = None, device: str = "auto", seed: int = 0,
              data_dir=None, download: bool = False, artifacts: Path = Path("studies"),
              console: Console | None = None, log_format: str = "auto",
              quiet: bool = False, supernet: Path | None = None) -> optuna.Study:
    """Run (or continue) a study of `space`; returns the Optuna study.

    `log_format`: "rich" redraws a live view (terminal), "plain" prints one line per event
    (logs), "auto" picks by whether the console is a terminal; `quiet` keeps trial lines
    only."""
    t0 = time.monotonic()
    name, fidelity = prepare_study(space, study_name, storage, n_trials, fidelity, seed,
                                   data_dir, download, console, artifacts, device, supernet)
    timeout = time_left(timeout, t0)  # a supernet trained first counts in the timeout
    store = Store(storage)
    study = open_study(space, name, store, fidelity, seed)
    console = console or Console()
    display = make_display(log_format, quiet, study, n_trials, timeout, console,
                           space.fidelities[fidelity].epochs, store)
    objective = Objective(space, fidelity, store, study, device, seed, data_dir, download,
                          artifacts, reporter=display, supernet=supernet)
    try:
        with display:
            study.optimize(objective, n_trials=n_trials, timeout=timeout,
                           callbacks=[display.on_trial],
                           catch=(RuntimeError, TrainingError))
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: the trial is already failed
        raise Interrupted(exc) from None
    except SQLAlchemyError as exc:
        raise StoreError(
            f"the study store {store.safe_url} failed during the study "
            f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]}). Finished trials are "
            f"saved; once the database is reachable, run the same command to continue."
        ) from None
    return study

"""`run`: search a space with a multi-objective Optuna study, in this process or in local
worker processes sharing one store."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import optuna
import torch
from pydantic import ValidationError

from dse.errors import ConfigError
from dse.search.space import SearchSpace, load_space, validation_text
from dse.search.study import parse_duration, prepare_study, run_study, time_left
from dse.search.workers import auto_workers, run_workers, usable_cores
from dse.store import Store


def run(space: str | Path, *, study: str | None = None, trials: int | None = None,
        timeout: str | float | None = None, fidelity: str | None = None,
        constraints: list[str] | None = None, baselines: bool = True,
        storage: str | None = None, device: str = "auto", seed: int = 0,
        data: str | None = None, data_dir: Path | None = None, download: bool = False,
        artifacts: Path = Path("studies"), workers: int | str = 1,
        threads: int | None = None, log_format: str = "auto", quiet: bool = False,
        supernet: Path | None = None, console=None,
        say: Callable[[str], None] = print) -> tuple[optuna.Study, int]:
    """Run or continue a study of `space` (a shipped name or a YAML file): `trials` more
    trials and/or until `timeout` (seconds, or '90s', '30m', '2h'). `workers`: a number
    of local processes (the trials split between them) or "auto" (one single-threaded
    worker per usable core, 1 when a timed metric is an objective or constraint).
    `data`: a data-set SPEC in place of the space's `data:`. `supernet`: a oneshot
    fidelity's supernet file (default: the study folder's, trained first when missing).
    Returns the Optuna study and the worst exit code of the workers (0 in-process)."""
    sp = load_space(str(space)).with_constraints(constraints)
    if data is not None:
        try:
            sp = type(sp).model_validate({**sp.model_dump(), "dataset": data})
        except ValidationError as exc:
            raise ConfigError(f"--data: {validation_text(exc)}") from None
    if not baselines:
        sp = sp.model_copy(update={"baselines": []})
    if trials is None and timeout is None:
        raise ConfigError("give --trials N and/or --timeout DURATION, e.g. --trials 20.")
    if log_format not in ("auto", "rich", "plain"):
        raise ConfigError(f"--log-format is auto, rich or plain, not {log_format[:30]!r}.")
    seconds = timeout if isinstance(timeout, float | int) or timeout is None else \
        parse_duration(timeout)
    cores = usable_cores()
    n, why = choose_workers(workers, sp, device, cores, trials)
    threads = threads or max(1, cores // n)
    if why and n > 1 and not quiet:
        say(f"--workers auto: {n} ({why}; --workers 1 for one process)")
    if n == 1:
        torch.set_num_threads(threads)
        return run_study(sp, study, storage, trials, seconds, fidelity, device, seed, data_dir,
                         download, artifacts, console, log_format, quiet, supernet), 0
    t0 = time.monotonic()
    name, fid = prepare_study(sp, study, storage, trials, fidelity, seed, data_dir,
                              download, console, artifacts, device, supernet)
    seconds = time_left(seconds, t0)  # a supernet trained first counts in the timeout
    base = ["--space", str(space), "--study", name, "--fidelity", fid, "--device", device,
            "--artifacts", str(artifacts)]
    for flag, value in (("--storage", storage), ("--timeout", seconds),
                        ("--data", data), ("--data-dir", data_dir),
                        ("--supernet", supernet)):
        if value is not None:
            base += [flag, str(value)]
    for c in constraints or []:
        base += ["--constraint", c]
    base += (["--quiet"] if quiet else []) + ([] if baselines else ["--no-baselines"])
    code = run_workers(base, trials, n, threads, seed, say)
    return optuna.load_study(study_name=name, storage=Store(storage).optuna), code


def choose_workers(value: int | str, space: SearchSpace, device: str, cores: int,
                   trials: int | None) -> tuple[int, str]:
    """`workers` as a number, or "auto" -> (workers, why auto chose them; '' when given)."""
    if value == "auto":
        names = [*space.objectives, *(c.metric for c in space.constraints)]
        dev = device if device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
        return auto_workers(names, dev, cores, trials)
    text = str(value)
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise ConfigError(f"--workers is a number from 1 to 64 or auto, not {text[:30]!r}.")
    return int(text), ""

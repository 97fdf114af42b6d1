"""`confirm`: retrain a study's chosen candidates (and the papers' baselines) on the whole
training set and test them; the table of what was confirmed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dse import confirm as confirming
from dse.confirmed import baselines as confirmed_baselines
from dse.errors import ConfigError
from dse.report.data import load_study_frame, proxy_correlation
from dse.search.space import load_space
from dse.store import Store
from dse.train.compiling import check_mode
from dse.train.job import load_files


@dataclass
class Confirmed:
    """What a confirmation gave: one row per confirmed trial (its study objectives at the
    proxy, its test accuracy and trained objectives (`confirmed_<name>`) over seeds), the
    baselines, and the proxy-confirmed rank correlation."""

    study: str
    objectives: list[str]
    trials: list[dict] = field(default_factory=list)
    baselines: list[dict] = field(default_factory=list)
    correlation: dict = field(default_factory=dict)


def confirm(study: str, *, top: int | None = None, trials: list[int] | None = None,
            sample: int = 0, epochs: int | None = None, fidelity: str | None = None,
            seeds: list[int] | None = None, baselines: list[str] | None = None,
            train_images: int | None = None, tta_flip: bool = False, compile: str = "auto",
            storage: str | None = None, device: str = "auto", seed: int = 0,
            artifacts: Path = Path("studies"), data_dir: Path | None = None,
            say: Callable[[str], None] = print, progress: bool = False,
            reuse: bool = True) -> Confirmed:
    """Confirm the `top` best of the study's front (or `trials`), plus `sample` random
    non-front trials (drawn with `seed`), and the registered `baselines`, each for `epochs`
    (default: those of `fidelity`, the study's own by default) and every seed in `seeds`
    (default: 0). `top=0` confirms only the baselines. Resumes interrupted runs and skips
    finished ones; with `reuse`, a run another study of the store completed (the same
    candidate, epochs, seed and images, on the same built-in data set) is copied, not
    trained again."""
    check_mode(compile)
    if top == 0 and (not baselines or trials or sample):
        raise ConfigError("--top 0 confirms only the --baseline models: name one (e.g. "
                          "--baseline hps-06-0.5x), without --trials or --sample.")
    frame = load_study_frame(study, storage)
    chosen = [] if top == 0 else confirming.choose(frame, top, trials, sample, seed)
    if epochs is None:
        epochs = fidelity_epochs(frame, fidelity)
    load_files(frame.attrs.get("dataset", "cifar10"), data_dir)  # missing data: fail first
    results = confirming.confirm(study, chosen, epochs, storage=storage, device=device,
                                 data_dir=data_dir, artifacts=artifacts, say=say,
                                 train_images=train_images, baselines=baselines,
                                 progress=progress, tta_flip=tta_flip, compile=compile,
                                 seeds=seeds if seeds is not None else [0], reuse=reuse)
    say(f"{len(results)} trial(s) of study {study!r} confirmed in all")
    return confirmed(study, storage)


def confirmed(study: str, storage: str | None = None) -> Confirmed:
    """The study's confirmed trials (their headline setting: `dse.confirmed.headlines`)
    beside their objectives at the proxy, the confirmed baselines and the proxy-confirmed
    rank correlation."""
    frame = load_study_frame(study, storage)
    objectives = list(frame.attrs["objectives"])
    out = Confirmed(study, objectives, baselines=confirmed_baselines(
        Store(storage, create=False), study), correlation=proxy_correlation(frame))
    done = frame[frame["test_accuracy"].notna()] if "test_accuracy" in frame else frame[:0]
    for _, r in done.iterrows():
        out.trials.append({"trial": int(r["trial"]), "model": str(r["model"]),
                           **{k: r.get(k) for k in objectives},
                           **{f"confirmed_{k}": r.get(f"confirmed_{k}") for k in objectives
                              if f"confirmed_{k}" in r},
                           "test_accuracy": r["test_accuracy"],
                           "test_accuracy_std": r.get("test_accuracy_std"),
                           "seeds": r.get("confirmed_seeds"),
                           "epochs": r.get("confirmed_epochs")})
    return out


def fidelity_epochs(frame, fidelity: str | None) -> int:
    """Epochs of a fidelity of the study's space (the study's own by default)."""
    name = fidelity or frame.attrs.get("fidelity")
    try:
        space = load_space(frame.attrs.get("space") or "")
    except ConfigError:
        raise ConfigError(f"the study's space {frame.attrs.get('space')!r} is not at hand to "
                          f"read fidelity {name!r}; pass --epochs E.") from None
    if name not in space.fidelities:
        raise ConfigError(f"space {space.name!r} has no fidelity {str(name)[:40]!r}; it has "
                          f"{', '.join(space.fidelities)}.")
    return space.fidelities[name].epochs

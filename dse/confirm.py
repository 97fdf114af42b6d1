"""`dse confirm`: retrain chosen candidates of a study on the whole training set, evaluate
them on the test set, and store the results beside the trials they confirm.

Each (trial, epochs, seed) is one stored run. A run writes a resume checkpoint after every
epoch, so running the command again after an interruption continues the run in progress and
skips the finished ones.
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dse import metrics
from dse.errors import ConfigError
from dse.paths import study_folder
from dse.report.data import load_study_frame, pareto_mask
from dse.store import Store


@dataclass
class Choice:
    """One trial to confirm and why it was chosen."""

    trial: int
    why: str  # "front" | "asked" | "sample"


def choose(frame: pd.DataFrame, top: int | None = None, trials: list[int] | None = None,
           sample: int = 0, seed: int = 0) -> list[Choice]:
    """The front, best first on the study's first objective (or the `trials` asked for),
    cut to `top`, plus `sample` completed non-front trials drawn at random."""
    objectives = frame.attrs["objectives"]
    done = frame[frame["status"] == "complete"]
    if trials:
        missing = sorted(set(trials) - set(done["trial"]))
        if missing:
            raise ConfigError(f"trials {missing} are not completed trials of study "
                              f"{frame.attrs['study']!r}; `dse pareto` lists the front.")
        chosen = [Choice(t, "asked") for t in trials]
    else:
        front = done[pareto_mask(done, objectives)]
        first = metrics.get_metric(objectives[0])
        front = front.sort_values(objectives[0], ascending=first.direction == "minimize")
        chosen = [Choice(int(t), "front") for t in front["trial"]]
    if top is not None:
        chosen = chosen[:top]
    if sample:
        taken = {c.trial for c in chosen}
        rest = sorted(set(int(t) for t in done["trial"]) - taken)
        chosen += [Choice(t, "sample") for t in random.Random(seed).sample(
            rest, min(sample, len(rest)))]
    if not chosen:
        raise ConfigError(f"study {frame.attrs['study']!r} has no completed trial to confirm "
                          f"yet; run `dse run` longer.")
    return chosen


def confirm(study: str, chosen: list[Choice], epochs: int, repeats: int = 1,
            storage: str | None = None, device: str = "auto", data_dir=None,
            artifacts: Path = Path("studies"), say=print, progress: bool = False,
            train_images: int | None = None) -> list[dict]:
    """Run (or continue) the confirmation runs; returns one summary per trial.

    `train_images` keeps a balanced subset of the training set (for quick checks; the
    default, all 50,000, is what a confirmation means)."""
    from dse import hardware
    from dse.errors import Interrupted
    from dse.train import TrainConfig, load_checkpoint, resolve_device
    from dse.train.job import DataPlan, run_training

    store = Store(storage)
    frame = load_study_frame(study, store=store)
    dataset = frame.attrs.get("dataset", "cifar10")
    folder = study_folder(artifacts, study) / "confirm"
    hw = hardware.describe(resolve_device(device))
    by_trial = {int(r["trial"]): r for _, r in frame.iterrows()}
    for k, c in enumerate(chosen, 1):
        cand = by_trial[c.trial]["candidate"]
        for seed in range(repeats):
            rec = store.confirmation(study, c.trial, epochs, seed, cand, hw, train_images or 0)
            if rec.status == "complete":
                say(f"[{k}/{len(chosen)}] trial {c.trial} seed {seed}: already confirmed, "
                    f"{rec.test_accuracy:.2%} test accuracy")
                continue
            tag = f"-n{train_images}" if train_images else ""
            out = folder / f"trial-{c.trial:05d}-e{epochs}-s{seed}{tag}"
            resume = load_checkpoint(out / "resume.pt") if (out / "resume.pt").is_file() \
                else None
            done = len(resume["history"]) if resume else 0
            say(f"[{k}/{len(chosen)}] trial {c.trial} ({c.why}) seed {seed}: "
                f"{'continuing at epoch ' + str(done + 1) if resume else 'training'} "
                f"{epochs} epochs on the whole training set, testing on the test set")
            cfg = TrainConfig(**{**cand["train"], "epochs": epochs, "seed": seed})
            try:
                result = run_training(cand["model"], cfg, DataPlan(
                    dataset, val_size=0, subset=train_images, seed=seed), out, device,
                    data_dir, progress=progress, resumable=True, resume=resume, test=False)
            except Interrupted as exc:
                store.finish_confirmation(rec.id, "interrupted", reason=str(exc)[:300])
                raise
            except Exception as exc:
                store.finish_confirmation(rec.id, "failed", reason=f"{type(exc).__name__}: "
                                                                   f"{str(exc)[:300]}")
                raise
            acc = result["final"]["val_acc"]  # validated on the test split (val_size 0)
            store.finish_confirmation(rec.id, "complete", acc, result["epochs"],
                                      str(out / "checkpoint.pt"))
            (out / "resume.pt").unlink(missing_ok=True)
            say(f"    test accuracy {acc:.2%} after {epochs} epochs")
    return summaries(store, study)


def summaries(store: Store, study: str) -> list[dict]:
    """Per confirmed trial and setting (epochs, training images; 0 = all): seeds, test
    accuracy mean and std (complete runs only)."""
    groups: dict[tuple[int, int, int], list[float]] = {}
    for r in store.confirmations(study):
        if r.status == "complete" and r.test_accuracy is not None:
            groups.setdefault((r.number, r.epochs, r.train_images), []).append(r.test_accuracy)
    out = []
    for (number, epochs, images), accs in sorted(groups.items()):
        out.append({"trial": number, "epochs": epochs, "train_images": images,
                    "seeds": len(accs),
                    "test_accuracy": statistics.fmean(accs),
                    "test_accuracy_std": statistics.pstdev(accs) if len(accs) > 1 else 0.0})
    return out


def rank_correlation(proxy: list[float], confirmed: list[float]) -> dict:
    """Spearman and Kendall rank correlation of proxy and confirmed accuracies, with n."""
    n = len(proxy)
    if n < 3 or len(set(proxy)) < 2 or len(set(confirmed)) < 2:
        return {"n": n, "spearman": math.nan, "kendall": math.nan}
    from scipy.stats import kendalltau, spearmanr

    return {"n": n, "spearman": float(spearmanr(proxy, confirmed).statistic),
            "kendall": float(kendalltau(proxy, confirmed).statistic)}

"""`dse confirm`: retrain chosen candidates of a study on the whole training set, evaluate
them on the test set, and store the results beside the trials they confirm.

Each (trial, epochs, seed) is one stored run. A run writes a resume checkpoint after every
epoch, so running the command again after an interruption continues the run in progress and
skips the finished ones. Processes sharing a store (other cores, other machines on one
PostgreSQL) claim runs (`dse.store.claims`): each run is trained once, and a process whose
remaining runs are held by others waits for them, so it returns when all are stored.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dse import hardware, metrics
from dse.confirmed import baseline_number, summaries
from dse.data.registry import is_builtin
from dse.errors import ConfigError, Interrupted
from dse.fileio import atomic_write_text
from dse.paths import study_folder
from dse.records import MEASURED, Candidate, Status
from dse.report.data import load_study_frame, pareto_mask
from dse.search.baselines import baseline_candidate
from dse.store import Store, heartbeat
from dse.store.claims import REUSED, beating, claim
from dse.train import load_resume, resolve_device
from dse.train.job import DataPlan, run_training


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
    done = frame[frame["status"].isin(MEASURED)]  # trained to the end
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


_WHY = {"front": " (on the front)", "asked": "", "sample": " (a random non-front trial)"}


def confirm(study: str, chosen: list[Choice], epochs: int, repeats: int = 1,
            storage: str | None = None, device: str = "auto", data_dir=None,
            artifacts: Path = Path("studies"), say=print, progress: bool = False,
            train_images: int | None = None, baselines: list[str] | None = None,
            tta_flip: bool = False, compile: str = "auto", seeds: list[int] | None = None,
            reuse: bool = True) -> list[dict]:
    """Run (or continue) the confirmation runs; returns one summary per trial. Seeds 0 to
    `repeats` - 1, or exactly `seeds`.

    `baselines` (registered variants, e.g. the papers' hps-06-0.5x) are trained the same
    way with the default recipe and stored under negative numbers. `train_images` keeps a
    balanced subset of the training set (for quick checks; the default, all 50,000, is
    what a confirmation means). `tta_flip` also stores the test accuracy averaged with the
    mirrored image, as an extra (`test_accuracy_flip`). `compile` (auto, on, off): whether
    the training step is compiled (`dse.train.compiling`; auto: where it pays). `reuse`: a
    run another study of the store completed on the same built-in data set (the same
    candidate, epochs, seed and images) is stored as this study's too, not trained again."""

    store = Store(storage)
    frame = load_study_frame(study, store=store)
    by_trial = {int(r["trial"]): r["candidate"] for _, r in frame.iterrows()}
    jobs = [(c.trial, f"trial {c.trial}{_WHY[c.why]}", Candidate.from_dict(by_trial[c.trial]))
            for c in chosen]
    jobs += [(None, f"baseline {b}", baseline_candidate(b)) for b in baselines or []]
    run = _Runner(store, study, frame.attrs.get("dataset", "cifar10"),
                  study_folder(artifacts, study) / "confirm",
                  hardware.describe(resolve_device(device)), device, data_dir, train_images,
                  progress, say, tta_flip, compile, reuse)
    elsewhere = []
    for k, (number, label, cand) in enumerate(jobs, 1):
        for seed in seeds if seeds is not None else range(repeats):
            n = number if number is not None else baseline_number(  # a baseline
                store, study, cand.model["name"], epochs, seed, train_images or 0)
            args = (f"[{k}/{len(jobs)}] {label} seed {seed}", n, cand, epochs, seed)
            if not run(*args):
                elsewhere.append(args)
    _wait_for(run, elsewhere, say)
    return summaries(store, study)


def run_folder(number: int, cand: Candidate, epochs: int, seed: int,
               train_images: int | None) -> str:
    """The folder name of one confirmation run under `<study>/confirm/`."""
    tag = f"-n{train_images}" if train_images else ""
    name = f"trial-{number:05d}" if number >= 0 else f"baseline-{cand.model['name']}"
    return f"{name}-e{epochs}-s{seed}{tag}"


REBUILT = "rebuilt.json"  # beside a checkpoint trained again by `rebuild`


def rebuild(rec, dataset: str, folder: Path, device: str = "auto", data_dir=None,
            say=print, compile: str = "auto") -> Path:
    """Train the stored confirmation run `rec` again, here, for its checkpoint alone (the
    one it recorded is on another machine): the same candidate, epochs, seed and images,
    into `folder` (a study's confirm folder); resumes after a stop. The store is not
    touched, its figures stay the comparison's; this run's test accuracy goes to
    rebuilt.json beside the checkpoint. Returns the checkpoint."""
    cand = Candidate.from_dict(rec.candidate)
    out = folder / run_folder(rec.number, cand, rec.epochs, rec.seed, rec.train_images)
    if (out / REBUILT).is_file() and (out / "checkpoint.pt").is_file():
        return out / "checkpoint.pt"
    resume = load_resume(out / "resume.pt")
    say(f"trial {rec.number} seed {rec.seed}: its checkpoint is not on this machine; training "
        f"it again here ({rec.epochs} epochs{', continuing' if resume else ''}), the stored "
        f"figures unchanged")
    result = run_training(cand.at(f"{rec.epochs} epochs", rec.seed), rec.epochs, DataPlan(
        dataset, val_size=0, subset=rec.train_images or None, seed=rec.seed), out, device,
        data_dir, progress=True, resumable=True, resume=resume, test=False,
        latency_repeats=10, compile=compile, say=say)  # epoch lines: it takes a while
    atomic_write_text(json.dumps({"trial": rec.number, "seed": rec.seed,
                                  "epochs": rec.epochs, "train_images": rec.train_images,
                                  "test_accuracy": result.test_accuracy,
                                  "stored_test_accuracy": rec.test_accuracy}), out / REBUILT)
    (out / "resume.pt").unlink(missing_ok=True)
    say(f"    test accuracy {result.test_accuracy:.2%} after {rec.epochs} epochs (the stored "
        f"run: {rec.test_accuracy:.2%})")
    return out / "checkpoint.pt"


def _wait_for(run: _Runner, elsewhere: list[tuple], say) -> None:
    """Wait until the runs other processes hold are stored, taking over any whose owner
    stops beating."""
    if elsewhere:
        say(f"waiting for {len(elsewhere)} run(s) that other processes are training")
    while elsewhere:
        time.sleep(heartbeat()[0])
        elsewhere = [args for args in elsewhere if not run(*args)]


@dataclass
class _Runner:
    """Runs one (candidate, epochs, seed) confirmation, resuming or skipping as stored."""

    store: Store
    study: str
    dataset: str
    folder: Path
    hardware: dict
    device: str
    data_dir: object
    train_images: int | None
    progress: bool
    say: object
    tta_flip: bool = False
    compile: str = "auto"
    reuse: bool = True

    def __call__(self, label: str, number: int, cand: Candidate, epochs: int, seed: int
                 ) -> bool:
        """Train the run unless it is stored; False while another process holds it."""
        rec = claim(self.store, self.study, number, epochs, seed, cand, self.hardware,
                    self.train_images or 0, self._reusable if self.reuse else None)
        if rec is None:
            return False
        if rec.status == Status.COMPLETE:
            where = f" ({rec.reason})" if (rec.reason or "").startswith(REUSED) else ""
            self.say(f"{label}: already confirmed{where}, {rec.test_accuracy:.2%} test accuracy")
            return True
        with beating(self.store, rec.id):
            self._train(rec, label, number, cand, epochs, seed)
        return True

    def _reusable(self, done) -> bool:
        """Whether `done`, another study's run of this candidate, counts as this one's: a
        built-in data set (files dse verifies; a folder of one's own may have changed), the
        same one, and the mirrored-image figure where this confirmation measures it."""
        if self.tta_flip and "test_accuracy_flip" not in (done.measurements or {}):
            return False
        if not is_builtin(self.dataset):
            return False
        storage = self.store.optuna
        try:
            attrs = storage.get_study_user_attrs(storage.get_study_id_from_name(done.study_name))
        except KeyError:  # a study no longer in the store
            return False
        return attrs.get("dataset", "cifar10") == self.dataset

    def _train(self, rec, label: str, number: int, cand: Candidate, epochs: int, seed: int
               ) -> None:
        out = self.folder / run_folder(number, cand, epochs, seed, self.train_images)
        resume = load_resume(out / "resume.pt")
        done = len(resume["history"]) if resume else 0
        images = f"{self.train_images:,} training images" if self.train_images else \
            "the whole training set"
        self.say(f"{label}: {'continuing at epoch ' + str(done + 1) if resume else 'training'}"
                 f" {epochs} epochs on {images}, testing on the test set")
        try:
            result = run_training(cand.at(f"{epochs} epochs", seed), epochs, DataPlan(
                self.dataset, val_size=0, subset=self.train_images, seed=seed), out,
                self.device, self.data_dir, progress=self.progress, resumable=True,
                resume=resume, test=False, latency_repeats=10, compile=self.compile,
                say=self.say, tta_flip=self.tta_flip)
        except Interrupted as exc:
            self.store.finish_confirmation(rec.id, Status.INTERRUPTED, reason=str(exc)[:300])
            raise
        except Exception as exc:
            self.store.finish_confirmation(rec.id, Status.FAILED, reason=f"{type(exc).__name__}: "
                                                                    f"{str(exc)[:300]}")
            raise
        acc = result.test_accuracy  # every epoch was evaluated on the whole test split
        meas = {k: v for k, v in result.measurements.items() if k != "test_accuracy"}
        meas["compiled"] = result.compiled  # epoch times differ; the figures do not
        self.store.finish_confirmation(rec.id, Status.COMPLETE, acc, result.history,
                                       str(out / "checkpoint.pt"), measurements=meas)
        (out / "resume.pt").unlink(missing_ok=True)
        self.say(f"    test accuracy {acc:.2%} after {epochs} epochs")

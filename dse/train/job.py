"""One training job end to end: data -> model -> fit -> measurements -> files on disk."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import torch

from dse import hardware, metrics
from dse.data import Batches, Split, data_info, load_files, resize
from dse.data.loader import split_indices, subset_indices, take
from dse.errors import ConfigError, Interrupted, TrainingError
from dse.fileio import atomic_write_text
from dse.metrics import MeasureContext
from dse.models import build, input_size
from dse.records import Candidate, EpochRow, RunResult, SplitName
from dse.train.checkpoint import save_weights
from dse.train.compiling import choose, decide
from dse.train.engine import (
    Diverged,
    eval_batch_size,
    evaluate,
    fit,
    resolve_device,
    seed_everything,
)
from dse.train.recipe import DEFAULT_RECIPE, TrainConfig


def num_classes(dataset: str) -> int:
    """Classes of the data set SPEC (`dse.data.data_info`)."""
    return data_info(dataset).num_classes


@dataclass
class DataPlan:
    """Which images a job trains and validates on."""

    dataset: str = "cifar10"
    val_size: int = 5000  # carved from the training set; 0 -> validate on the test set
    subset: int | None = None  # training images kept (balanced per class); None -> all
    val_subset: int | None = None  # validation images kept; None -> all of val_size
    seed: int = 0


def prepare_data(plan: DataPlan, size: int | None = None, data_dir=None,
                 download: bool = False, test: bool = True
                 ) -> tuple[Split, Split, Split | None]:
    """(train, val, test) for a plan at an input side (default: the data set's own; test
    None unless asked for).

    Splits and subsets are taken as indices, so only the images kept are copied.
    """
    full, test_split = load_files(plan.dataset, data_dir, download)
    if plan.val_size < 0 or plan.val_size >= len(full):
        raise ConfigError(f"val_size must be in 0..{len(full) - 1}, got {plan.val_size}.")
    if plan.val_size:
        tr_idx, va_idx = split_indices(full.labels, plan.val_size, plan.seed)
        tr_idx = tr_idx[subset_indices(full.labels[tr_idx], plan.subset, plan.seed)]
        va_idx = va_idx[subset_indices(full.labels[va_idx], plan.val_subset, plan.seed)]
        train, val = take(full, tr_idx), take(full, va_idx)
    else:
        train = take(full, subset_indices(full.labels, plan.subset, plan.seed))
        val = take(test_split, subset_indices(test_split.labels, plan.val_subset, plan.seed))
    size = size or data_info(plan.dataset, data_dir).size
    return (resize(train, size), resize(val, size),
            resize(test_split, size) if test else None)


def build_model(spec: dict, dataset: str):
    """Create the model a spec describes for a data set: its classes, channels and size."""
    info = data_info(dataset)
    return build(spec, info.num_classes, in_channels=info.channels, image_size=info.size)


def evaluate_on_test(model, dataset: str, data_dir=None, download: bool = False,
                  device: str | torch.device = "auto", cfg: TrainConfig = DEFAULT_RECIPE
                  ) -> dict:
    """Loss, accuracy and image count of `model` on the whole test set of `dataset`."""
    dev = resolve_device(device) if isinstance(device, str) else device
    _, test = load_files(dataset, data_dir, download)
    test = resize(test, input_size(model))
    model.to(dev, memory_format=torch.channels_last)
    ev = evaluate(model, Batches(test, dataset, eval_batch_size(cfg, dev), dev, False,
                                 channels_last=True), flip=cfg.tta_flip)
    return {**ev, "images": len(test)}


def _choose_compile(mode: str, model, train: Split, dataset: str, batch_size: int,
                    dev: torch.device, why: str) -> tuple[bool, str]:
    """`compiling.choose` on the first training batch (unaugmented), as the run will see
    it: on `dev`, channels_last, the run's batch size."""

    x, y = next(iter(Batches(train, dataset, batch_size, dev, train=False,
                             channels_last=True)))
    probe = model.to(dev).to(memory_format=torch.channels_last)
    rng = torch.get_rng_state()  # the run's random draws do not depend on the probe
    try:
        return choose(mode, probe, x, y, why)
    finally:
        torch.set_rng_state(rng)


EpochSink = Callable[[EpochRow], None]


def diverged(spec: dict, exc: Diverged) -> TrainingError:
    """The divergence policy, the same for study trials, `dse train` and `dse confirm`: the
    run stops at the first non-finite training loss and fails with a TrainingError naming
    the model, the epoch and what to change; no checkpoint or resume state of it is kept (a
    study records the trial as failed with this reason and goes on; a command exits 1)."""
    return TrainingError(f"{spec.get('name', 'the model')} {exc}; no checkpoint was written.")


@dataclass
class TrainingJob:
    """One training run, the only way dse trains a model: the model (built and seeded from
    `spec` unless given), the recipe, the data, the compile decision, resumable state and
    the sinks each finished epoch row goes to (store, scheduler, live view, curves).

    A sink may raise to stop the run (a scheduler's stop); `run` returns the whole history
    (a resumed run's earlier epochs included)."""

    spec: dict
    cfg: TrainConfig
    dataset: str
    train: Split
    val: Split
    device: torch.device
    model: torch.nn.Module | None = None
    sinks: list[EpochSink] = field(default_factory=list)
    on_batch: Callable[[dict], None] | None = None  # batch progress (live view)
    resume: dict | None = None
    resume_path: Path | None = None
    save_epochs: Collection[int] | None = None
    compile: str = "off"
    progress: bool = False
    say: Callable[[str], None] | None = None  # told the compile decision
    compiled: bool = False
    why: str = ""
    split: str = "val"  # what `val` is: "val" (held out of training) or "test"

    def run(self) -> list[dict]:
        """Train; a diverged run raises `diverged(...)`."""

        if self.model is None:
            seed_everything(self.cfg.seed)
            self.model = build_model(self.spec, self.dataset)
        done = len(self.resume["history"]) if self.resume else 0
        self.compiled, self.why = decide(self.compile, self.device,
                                         (self.cfg.epochs - done) * len(self.train))
        if self.compiled:
            self.compiled, self.why = _choose_compile(
                self.compile, self.model, self.train, self.dataset, self.cfg.batch_size,
                self.device, self.why)
        if self.say is not None:
            self.say(f"    {self.why}")
        try:
            return fit(self.model, self.train, self.val, self.cfg, self.dataset, self.device,
                       progress=self.progress, resume=self.resume,
                       resume_path=self.resume_path, on_epoch=self._epoch, spec=self.spec,
                       on_batch=self.on_batch, save_epochs=self.save_epochs,
                       compile_model=self.compiled, split=self.split)
        except Diverged as exc:
            if self.resume_path is not None:  # a diverged run keeps nothing to resume
                Path(self.resume_path).unlink(missing_ok=True)
            raise diverged(self.spec, exc) from None

    def _epoch(self, row: dict) -> None:
        for sink in self.sinks:
            sink(row)


def training_config(cand: Candidate, epochs: int, **extra) -> TrainConfig:
    """The one place a candidate's recipe becomes a `TrainConfig`: at `epochs`, with the
    candidate's seed (and `extra` settings, such as tta_flip)."""
    return TrainConfig(**{**cand.train, **extra, "epochs": epochs, "seed": cand.seed})


def measure_run(model, history: list[dict], split: SplitName = "val",
                latency_repeats: int = 30, dataset: str = "cifar10") -> dict[str, float]:
    """A trained model's final measurements through `dse.metrics`: every architecture
    metric and every trained one (plugins' included). A run validated on the test split
    names its accuracy `test_accuracy` (`RunResult` says why)."""
    ctx = MeasureContext(latency_repeats, history, dataset)
    m = {**metrics.measure_architecture(model, ctx), **metrics.measure_trained(model, ctx)}
    if "val_acc_flip" in history[-1]:
        m["accuracy_flip"] = history[-1]["val_acc_flip"]
    if split == "test":
        for name in ("accuracy", "accuracy_flip"):
            if name in m:
                m[f"test_{name}"] = m.pop(name)
    return m


def run_training(cand: Candidate, epochs: int, plan: DataPlan, out: Path | None = None,
                 device: str = "auto", data_dir=None, download: bool = False,
                 progress: bool = False, resumable: bool = False, resume: dict | None = None,
                 test: bool = True, latency_repeats: int = 50, compile: str = "off",
                 say=None, tta_flip: bool = False) -> RunResult:
    """Train `cand` for `epochs` on `plan`'s images and return (and write to `out`:
    checkpoint.pt, metrics.json) its `RunResult`; with `test`, a run validated on held-out
    training images is also tested on the test split.

    `compile` (off, on, auto) decides whether the training step is compiled
    (`dse.train.compiling.decide`); `say`, when given, is told the decision."""
    dev, cfg = resolve_device(device), training_config(cand, epochs, tta_flip=tta_flip)
    seed_everything(cfg.seed)
    model = build_model(dict(cand.model), plan.dataset)
    train, val, _ = prepare_data(plan, input_size(model), data_dir, download, test=False)
    split: SplitName = "val" if plan.val_size else "test"
    job = TrainingJob(dict(cand.model), cfg, plan.dataset, train, val, dev, model,
                      resume=resume, compile=compile, progress=progress, say=say, split=split,
                      resume_path=out / "resume.pt" if (out is not None and resumable) else None)
    try:
        history = job.run()
    except KeyboardInterrupt as exc:
        raise Interrupted(exc) from None
    m = measure_run(model, history, split, latency_repeats, plan.dataset)
    if test and split == "val":
        ev = evaluate_on_test(model, plan.dataset, data_dir, download, dev, cfg)
        m.update(test_accuracy=ev["accuracy"], test_loss=ev["loss"])
        if "accuracy_flip" in ev:
            m["test_accuracy_flip"] = ev["accuracy_flip"]
    result = RunResult(cand, history, m, split, job.compiled, plan.dataset, vars(plan),
                       len(train), len(val), hardware.describe(dev), cfg.to_dict())
    if out is not None:
        save_weights(out / "checkpoint.pt", model, dict(cand.model))
        atomic_write_text(json.dumps(result.to_dict(), indent=2), out / "metrics.json")
    return result

"""The shapes of what dse records: a `Candidate` (what a run trains), its `EpochRow`s, its
`RunResult`, and a trial's or confirmation's `Status`.

Sampling produces candidates; training produces epoch rows and a run result; the store
writes them and the statuses (it is the only writer); the live view, the report, confirm
and the CLI read them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Literal, NotRequired, TypedDict


class Status(StrEnum):
    """Where a trial or a confirmation stands (compares equal to its stored text)."""

    RUNNING = "running"
    COMPLETE = "complete"
    NOT_LEARNED = "not learned"  # trained, but validation accuracy stayed near chance
    PRUNED = "pruned"  # stopped by the scheduler, or skipped as a parallel worker's twin
    INFEASIBLE = "infeasible"  # rejected by an architecture constraint, nothing trained
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # a confirmation stopped by Ctrl-C/SIGTERM (resumable)
    WAITING = "waiting"  # queued in Optuna (enqueued, or re-queued after a dead worker)


MEASURED = (Status.COMPLETE, Status.NOT_LEARNED)  # trained to the end: values to reuse
TRIAL_STATUSES = (Status.COMPLETE, Status.NOT_LEARNED, Status.PRUNED, Status.INFEASIBLE,
                  Status.FAILED, Status.RUNNING)  # in the order tables list them


class EpochRow(TypedDict):
    """One finished epoch of one run, as `dse.train.engine.fit` reports it."""

    epoch: int  # 1-based
    lr: float
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    train_s: float
    eval_s: float
    epoch_s: float  # train + eval: the papers' "model speed"
    train_images_per_s: float
    val_acc_flip: NotRequired[float]  # with test-time flip averaging (tta_flip)


#: the user attribute `origin` of an enqueued feasible-start trial (`dse show` lists it)
FEASIBLE_START = "feasible start"

EPOCH_FIELDS = tuple(k for k in EpochRow.__annotations__ if k != "val_acc_flip")  # stored
CURVE_FIELDS = ("epoch", "train_loss", "val_loss", "train_acc", "val_acc", "epoch_s")  # shown


@dataclass(frozen=True, eq=False)
class Candidate:
    """What one training run trains: the model spec (for `dse.models.create`), the recipe
    (`TrainConfig` keywords but epochs and seed), and where a run has them, its fidelity
    (a study's fidelity name, or the epochs of a confirmation) and seed.

    Canonical and hashable: two candidates are equal when their canonical JSON is; the
    store keeps `to_dict()` (model and recipe), fidelity and seed in their own columns."""

    model: Mapping[str, Any]
    train: Mapping[str, Any] = field(default_factory=dict)
    fidelity: str | None = None
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The stored form: {"model": spec, "train": recipe} (plain, JSON-ready copies)."""
        return json.loads(json.dumps({"model": self.model, "train": self.train}))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], fidelity: str | None = None, seed: int = 0
                  ) -> Candidate:
        """A candidate from its stored form (a registered model's spec has no recipe)."""
        return cls(dict(d["model"]), dict(d.get("train") or {}), fidelity, seed)

    def canonical(self) -> str:
        """Sorted-key JSON of everything that defines the run."""
        return json.dumps({"model": self.model, "train": self.train, "fidelity": self.fidelity,
                           "seed": self.seed}, sort_keys=True, default=str)

    def at(self, fidelity: str | None = None, seed: int | None = None) -> Candidate:
        """The same model and recipe at another fidelity and/or seed."""
        return replace(self, fidelity=self.fidelity if fidelity is None else fidelity,
                       seed=self.seed if seed is None else seed)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Candidate) and self.canonical() == other.canonical()

    def __hash__(self) -> int:
        return hash(self.canonical())


SplitName = Literal["val", "test"]


@dataclass
class RunResult:
    """What one training run produced: its epoch rows and its final measurements, taken
    through `dse.metrics` (every registered metric a study measures, plugins' included).

    `split` names where the epoch rows' `val_*` columns and `measurements["accuracy"]` were
    measured: "val" (images held out of training) or "test". A run validated on the test
    split stores its accuracy as `test_accuracy` (and `test_accuracy_flip`), never as
    `accuracy`; a run validated on "val" and then tested stores both."""

    candidate: Candidate
    history: list[EpochRow]
    measurements: dict[str, float]
    split: SplitName = "val"
    compiled: bool = False
    dataset: str = "cifar10"
    data: dict[str, Any] = field(default_factory=dict)  # the data plan: sizes, subsets, seed
    train_images: int = 0
    val_images: int = 0
    hardware: dict[str, Any] = field(default_factory=dict)
    train_config: dict[str, Any] = field(default_factory=dict)

    @property
    def test_accuracy(self) -> float | None:
        """Accuracy on the test split, if this run measured it."""
        return self.measurements.get("test_accuracy")

    def to_dict(self) -> dict[str, Any]:
        """The form written to metrics.json."""
        return {"model": dict(self.candidate.model), "candidate": self.candidate.to_dict(),
                "seed": self.candidate.seed, "dataset": self.dataset,
                "train_config": self.train_config, "data": self.data,
                "train_images": self.train_images, "val_images": self.val_images,
                "hardware": self.hardware, "compiled": self.compiled, "split": self.split,
                "epochs": self.history, "measurements": self.measurements}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RunResult:
        """Read a metrics.json, also in the older form whose figures lie under "final"
        (val_acc and val_split, test_acc)."""
        cand = Candidate.from_dict(d.get("candidate") or {"model": d["model"]},
                                   seed=int(d.get("seed", d.get("train_config", {})
                                                  .get("seed", 0))))
        meas, split = d.get("measurements"), d.get("split")
        if meas is None:  # the older form
            final = dict(d["final"])
            split = final.pop("val_split", "val")
            meas = {k: v for k, v in final.items() if isinstance(v, int | float)}
            acc = meas.pop("val_acc", None)
            if acc is not None and split == "val":
                meas["accuracy"] = acc
            elif acc is not None:
                meas.setdefault("test_acc", acc)
            for old, new in (("test_acc", "test_accuracy"), ("test_acc_flip",
                                                             "test_accuracy_flip"),
                             ("val_acc_flip", "accuracy_flip")):
                if old in meas:
                    meas[new] = meas.pop(old)
        return cls(cand, list(d["epochs"]), dict(meas), split or "val",
                   bool(d.get("compiled", False)), d.get("dataset", "cifar10"),
                   dict(d.get("data") or {}), int(d.get("train_images") or 0),
                   int(d.get("val_images") or 0), dict(d.get("hardware") or {}),
                   dict(d.get("train_config") or {}))

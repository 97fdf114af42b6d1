"""The shapes of what dse records: a trial's or confirmation's status, and one epoch row.

Training produces `EpochRow`s; the store writes them and the statuses (it is the only
writer of either); the live view, the report, confirm and the CLI read them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NotRequired, TypedDict


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


EPOCH_FIELDS = tuple(k for k in EpochRow.__annotations__ if k != "val_acc_flip")  # stored
CURVE_FIELDS = ("epoch", "train_loss", "val_loss", "train_acc", "val_acc", "epoch_s")  # shown

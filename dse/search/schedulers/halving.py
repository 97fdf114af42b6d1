"""Multi-objective asynchronous successive halving.

At each rung (an epoch count: min_epochs, min_epochs * eta, ...), a trial compares its
objective vector with every trial that has reached the same rung so far: it continues if
it lies in the best `max(1, n // eta)` of them, ordered by non-dominated rank and then by
crowding distance (NSGA-II's order), after its accuracy is credited `slack` (accuracy
after a few epochs ranks candidates loosely; size and MACs are exact, and a small model
a few points behind at epoch 2 is often on the final front). Nobody waits for a rung to
fill: a trial decides with what the storage holds when it gets there, as ASHA does. A
stopped trial keeps its training state; when the sampler proposes the same candidate
again and it is by then among the best 1/eta of its grown rung, it continues from where
it stopped (ASHA's late promotion; `Objective` does this through `revivable`).

`signal` chooses what stands for accuracy at a rung: the validation accuracy there (the
default), or another signal of the curve so far (`dse.search.signals`), such as the one a
`dse fidelity check` found to rank candidates best against a long training.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dse.metrics import get_metric
from dse.pareto import order, to_minimise
from dse.search.schedulers.base import EpochReport, Scheduler, register_scheduler


class HalvingOptions(BaseModel):
    """Successive halving's first rung, reduction factor and slack: accuracy credited to a
    trial at a rung before it is ranked (0.12 = 12 points), because early-epoch accuracy is
    noisy while size and MACs are exact. The defaults (rungs at 2, 4, 8, 16 epochs of 20,
    slack 0.12) were best or near best at every budget of 30 settings replayed on 108 real
    learning curves (`python bench/replay/replay.py --sweep slack`, docs/benchmarks.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    min_epochs: int = Field(default=2, ge=1)
    eta: int = Field(default=2, ge=2)
    slack: float = Field(default=0.12, ge=0.0, le=1.0)
    signal: Literal["last_val_acc", "best_val_acc", "neg_train_loss_sum", "extrapolated"] = (
        "last_val_acc")  # what stands for accuracy at a rung; slack applies to accuracies


ACCURACY_SIGNALS = ("last_val_acc", "best_val_acc", "extrapolated")


def promotable(rung_values: Sequence[Sequence[float]], index: int, eta: int,
               directions: Sequence[str], credit: Sequence[float] | None = None,
               trained: Sequence[bool] | None = None) -> bool:
    """Whether the point at `index` is among the best max(1, n // eta) of its rung, after
    crediting it `credit` (per objective, in its improving direction), or is strictly the
    best of its rung in a `trained` objective (accuracy; a tie, as when all are at chance,
    protects no one): NSGA-II's order alone could stop the most accurate trial when more
    points of the first front are extreme in some objective than it keeps (as happened: the
    proof study stopped hps-06-0.5x, the most accurate at epoch 16, for two smaller and
    faster ones)."""
    points = [to_minimise(v, directions) for v in rung_values]
    if credit:
        points[index] = [p - c for p, c in zip(points[index], credit, strict=True)]
    others = [p for i, p in enumerate(points) if i != index]
    for k, is_trained in enumerate(trained or []):
        if is_trained and others and points[index][k] < min(p[k] for p in others):
            return True
    keep = max(1, len(points) // eta)
    return index in order(points)[:keep]


def trained(objectives: Sequence[str]) -> list[bool]:
    """Which objectives are measured by training (accuracy-like, in %: noisy at an early
    rung); the architecture's (size, MACs, predicted latency) are exact."""
    return [not (m := get_metric(o)).arch and m.unit == "%" for o in objectives]


def credit(objectives: Sequence[str], slack: float) -> list[float]:
    """`slack` for the objectives measured by training, 0 for the others."""
    return [slack if t else 0.0 for t in trained(objectives)]


@register_scheduler("halving", HalvingOptions)
class SuccessiveHalving(Scheduler):
    """Stop a trial at a rung unless it is in the best 1/eta of the trials there so far."""

    def rungs(self) -> list[int]:
        """min_epochs, min_epochs * eta, ... below the fidelity's epochs."""
        out, e = [], self.options.min_epochs
        while e < self.epochs:
            out.append(e)
            e *= self.options.eta
        return out

    def decide(self, report: EpochReport) -> str | None:
        """Compare with the trials that reached this rung; a reason when not promoted."""
        rungs = self.rungs()
        if report.epoch not in rungs:
            return None
        k = rungs.index(report.epoch)
        vector = [float(self._value(report, o)) for o in report.objectives]
        key = f"rung{k}"
        report.trial.set_user_attr(key, vector)
        others = [t.user_attrs[key] for t in report.study.get_trials(deepcopy=False)
                  if key in t.user_attrs and t.number != report.trial.number]
        points = [*others, vector]
        if promotable(points, len(points) - 1, self.options.eta, report.directions,
                      credit(report.objectives, self._slack()), trained(report.objectives)):
            return None
        return (f"stopped by successive halving at rung {k} (epoch {report.epoch}): not in the "
                f"best 1/{self.options.eta} of {len(points)} trials")

    def _value(self, report: EpochReport, objective: str) -> float:
        """An objective's value at a rung; accuracy replaced by the chosen signal."""
        if objective == "accuracy" and self.options.signal != "last_val_acc":
            return report.signals[self.options.signal]
        return report.values[objective]

    def _slack(self) -> float:
        """Slack is in accuracy points: none for a signal that is not an accuracy."""
        return self.options.slack if self.options.signal in ACCURACY_SIGNALS else 0.0

    def revivable(self, study, number: int, epoch: int, directions: list[str]) -> bool:
        """Asynchronous successive halving's late promotion: a trial stopped at a rung is
        promotable once it is among the best 1/eta of the (larger) rung as it is now."""
        rungs = self.rungs()
        if epoch not in rungs:
            return False
        key = f"rung{rungs.index(epoch)}"
        trials = [t for t in study.get_trials(deepcopy=False) if key in t.user_attrs]
        index = next((i for i, t in enumerate(trials) if t.number == number), None)
        objectives = study.user_attrs.get("objectives", [])
        known = len(objectives) == len(directions)
        return index is not None and promotable(
            [t.user_attrs[key] for t in trials], index, self.options.eta, directions,
            credit(objectives, self._slack()) if known else None,
            trained(objectives) if known else None)

"""The scheduler base: what a scheduler sees at an epoch's end, its class, its registry.

Optuna's pruners refuse multi-objective studies, so dse decides itself. A scheduler is one
class with an options model (what a space's fidelity may set) and `decide`, registered
with `@register_scheduler("name", Options)`. A space picks one per fidelity:

    fidelities:
      proxy: {epochs: 18, scheduler: {halving: {min_epochs: 2, eta: 2}}}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel

from dse.registry import NoOptions, Registry


@dataclass
class EpochReport:
    """What a scheduler sees at the end of an epoch of a trial's first repeat."""

    trial: Any  # optuna.Trial: set_user_attr to share rung values with other workers
    study: Any  # optuna.Study: other trials' reports, through its storage
    epoch: int
    values: dict[str, float]  # every metric measured so far (architecture + this epoch's)
    objectives: list[str]
    directions: list[str]
    signals: dict[str, float] = field(default_factory=dict)  # dse.search.signals of the curve


class Scheduler:
    """Base class: never stops a trial. Subclasses set `name`, `Options` and `decide`."""

    name: ClassVar[str] = ""
    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, options: BaseModel, epochs: int):
        self.options, self.epochs = options, epochs

    def rungs(self) -> list[int]:
        """Epochs at which decisions happen (for display; empty when not known ahead)."""
        return []

    def decide(self, report: EpochReport) -> str | None:
        """None to continue, or the reason this trial stops now."""
        return None

    def revivable(self, study: Any, number: int, epoch: int, directions: list[str]) -> bool:
        """Whether trial `number`, stopped at `epoch`, would continue if it stopped now (its
        rung has grown since): `dse run` then continues it when it is proposed again."""
        return False


SCHEDULERS: Registry[type[Scheduler]] = Registry("scheduler")


#: `@register_scheduler("name", Options)` on a `Scheduler` subclass: spaces name it in a
#: fidelity's `scheduler:`.
register_scheduler = SCHEDULERS.decorator


def schedulers() -> list[str]:
    """Registered scheduler names."""
    return SCHEDULERS.names()


def get_scheduler(name: str) -> type[Scheduler]:
    """The scheduler class `name`; UnknownName (a ValueError) listing the registered ones."""
    return SCHEDULERS.get(name)


@register_scheduler("none")
class NoScheduler(Scheduler):
    """Every trial trains for the fidelity's full epochs."""

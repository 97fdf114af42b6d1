"""Multi-fidelity schedulers: at the end of each epoch, a trial continues or stops.

Optuna's pruners refuse multi-objective studies, so dse decides itself. A scheduler is one
class with an options model (what a space's fidelity may set) and `decide`, registered
with `@register_scheduler("name", Options)` (`base.py`). A space picks one per fidelity:

    fidelities:
      proxy: {epochs: 18, scheduler: {halving: {min_epochs: 2, eta: 2}}}
"""

from dse.search.schedulers import halving  # noqa: F401  (registers "halving")
from dse.search.schedulers.base import (
    SCHEDULERS,
    EpochReport,
    NoScheduler,
    Scheduler,
    get_scheduler,
    register_scheduler,
    schedulers,
)

__all__ = ["SCHEDULERS", "EpochReport", "NoScheduler", "Scheduler", "get_scheduler",
           "register_scheduler", "schedulers"]

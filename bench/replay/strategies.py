"""Search strategies replayed against the recorded table with simulated time.

Each strategy returns the trials that reached the full number of epochs, as (simulated
seconds when it finished, objective point); cost is the recorded epoch time of every epoch
trained, stopped trials included. Optuna samplers and dse's successive-halving scheduler are
the real ones (`dse.search.samplers`, `dse.search.schedulers.halving`), driven through
ask/tell; Syne Tune's MOASHA is driven through its scheduler interface.
"""

from __future__ import annotations

import datetime
import statistics
import warnings

import grid
import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution

from dse.search.schedulers import EpochReport
from dse.search.schedulers.halving import HalvingOptions, SuccessiveHalving

warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
optuna.logging.set_verbosity(optuna.logging.ERROR)

OBJECTIVES = ["accuracy", "size_mb", "macs"]
DIRECTIONS = ["maximize", "minimize", "minimize"]
DISTS = {k: CategoricalDistribution(v) for k, v in grid.DIMS.items()}
MAX_IDLE = 300  # proposals in a row that cost nothing (repeats): the strategy has converged

Event = tuple[float, list[float]]


class Table:
    """The recorded curves: values at an epoch, cost of the first e epochs.

    An epoch's cost is its point's median recorded epoch time: robust to a few epochs
    slowed by other work on the machine, which a sum of the raw times would carry."""

    def __init__(self, rows: dict[str, dict]) -> None:
        self.rows = rows
        self.epochs = min(len(r["val_acc"]) for r in rows.values())
        self._epoch_s = {k: statistics.median(r["epoch_s"]) for k, r in rows.items()}

    def values(self, key: str, epoch: int) -> list[float]:
        r = self.rows[key]
        return [r["val_acc"][epoch - 1], r["size_mb"], r["macs"]]

    def cost(self, key: str, epochs: int) -> float:
        return float(self._epoch_s[key] * epochs)

    def total_cost(self) -> float:
        """Seconds to train every point fully: the unit of the budgets."""
        return sum(self.cost(k, self.epochs) for k in self.rows)


def make_sampler(name: str, seed: int) -> optuna.samplers.BaseSampler:
    """The sampler dse's space would build (`sampler: tpe`, `nsga2`, `random`)."""
    from types import SimpleNamespace

    from dse.search.samplers import _SAMPLERS

    return _SAMPLERS[name](SimpleNamespace(population_size=20), seed)


def full_fidelity(table: Table, sampler: str, seed: int, budget: float) -> list[Event]:
    """Every trial trains all epochs; a repeated candidate is reused at no cost (as dse)."""
    study = optuna.create_study(directions=DIRECTIONS, sampler=make_sampler(sampler, seed))
    t, events, done, idle = 0.0, [], {}, 0
    while t < budget and idle < MAX_IDLE:
        trial = study.ask(DISTS)
        key = grid.key(trial.params)
        if key in done:
            study.tell(trial, done[key])
            idle += 1
            continue
        idle = 0
        t += table.cost(key, table.epochs)
        done[key] = table.values(key, table.epochs)
        study.tell(trial, done[key])
        events.append((t, done[key]))
    return events


def dse_halving(table: Table, sampler: str, seed: int, budget: float,
                min_epochs: int = HalvingOptions().min_epochs, eta: int = HalvingOptions().eta,
                revive: bool = True, slack: float = HalvingOptions().slack) -> list[Event]:
    """dse's asynchronous successive halving (its real scheduler) under an Optuna sampler;
    stopped trials are told as pruned; a repeat of a finished candidate is reused at no
    cost (as `dse run` does). A repeat of a stopped one continues from where it stopped if
    it is now among the best 1/eta of its rung (`revive`, as `dse run` does: the rung has
    grown since), else it is stopped again at no cost."""
    study = optuna.create_study(directions=DIRECTIONS, sampler=make_sampler(sampler, seed))
    study.set_user_attr("objectives", OBJECTIVES)
    sched = SuccessiveHalving(HalvingOptions(min_epochs=min_epochs, eta=eta, slack=slack),
                              table.epochs)
    t, events, done, stopped, idle = 0.0, [], {}, {}, 0
    while t < budget and idle < MAX_IDLE:
        trial = study.ask(DISTS)
        key = grid.key(trial.params)
        start = 1
        if key in stopped and revive:
            old, epoch = stopped[key]
            if sched.revivable(study, old, epoch, DIRECTIONS):  # dse's own rule
                del stopped[key]
                start = epoch + 1  # continues from the stopped trial's state
        if key in done or key in stopped:
            if key in done:
                study.tell(trial, done[key])
            else:
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            idle += 1
            continue
        idle = 0
        for epoch in range(start, table.epochs + 1):
            t += table.cost(key, epoch) - table.cost(key, epoch - 1)
            vals = table.values(key, epoch)
            if epoch < table.epochs and sched.decide(EpochReport(
                    trial, study, epoch, dict(zip(OBJECTIVES, vals, strict=True)),
                    OBJECTIVES, DIRECTIONS)):
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                stopped[key] = (trial.number, epoch)
                break
        else:
            done[key] = table.values(key, table.epochs)
            study.tell(trial, done[key])
            events.append((t, done[key]))
    return events


def moasha(table: Table, seed: int, budget: float, grace_period: int = 1,
           reduction_factor: int = 3) -> list[Event]:
    """Syne Tune's MOASHA (random proposals, non-dominated-sorting promotion), one worker."""
    from syne_tune.backend.trial_status import Trial
    from syne_tune.config_space import choice
    from syne_tune.optimizer.scheduler import SchedulerDecision
    from syne_tune.optimizer.schedulers.multiobjective.moasha import MOASHA

    np.random.seed(seed)  # MOASHA draws configurations and brackets from numpy's global RNG
    sched = MOASHA({k: choice(v) for k, v in grid.DIMS.items()}, metrics=["error", "size",
                   "macs"], do_minimize=True, time_attr="epoch", max_t=table.epochs,
                   grace_period=grace_period, reduction_factor=reduction_factor,
                   random_seed=seed)
    t, events, done, idle, number = 0.0, [], set(), 0, 0
    while t < budget and idle < MAX_IDLE:
        config = sched.suggest().config
        key = grid.key(config)
        if key in done:  # a finished candidate again: nothing to train
            idle += 1
            continue
        idle = 0
        trial = Trial(trial_id=number, config=config,
                      creation_time=datetime.datetime.now(datetime.UTC))
        number += 1
        sched.on_trial_add(trial)
        for epoch in range(1, table.epochs + 1):
            t += table.cost(key, epoch) - table.cost(key, epoch - 1)
            acc, size, macs = table.values(key, epoch)
            result = {"epoch": epoch, "error": 1 - acc, "size": size, "macs": macs}
            if epoch == table.epochs:
                sched.on_trial_complete(trial, result)
                done.add(key)
                events.append((t, table.values(key, epoch)))
            elif sched.on_trial_result(trial, result) == SchedulerDecision.STOP:
                break
    return events

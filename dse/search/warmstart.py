"""A feasible start: before a constrained study's first trial, random candidates are drawn
offline (no trial spent) and checked against the architecture-only constraints; feasible
ones are enqueued as the first trials, so the sampler's first generation (NSGA-II's
population, TPE's start-up trials) is not half rejected."""

from __future__ import annotations

import json

import optuna

from dse.records import FEASIBLE_START
from dse.search.candidate import sample
from dse.search.feasible import ArchCheck
from dse.search.samplers import first_generation


def feasible_candidates(space, count: int, seed: int, max_draws: int | None = None
                        ) -> list[dict]:
    """Up to `count` distinct random parameter sets of `space` whose candidates satisfy its
    architecture-only constraints (cheap metrics only: no latency, no training)."""

    check = ArchCheck(space)
    if not check or count <= 0:
        return []
    scratch = optuna.create_study(directions=space.directions,
                                  sampler=optuna.samplers.RandomSampler(seed=seed))
    found, seen = [], set()
    for _ in range(max_draws or 50 * count):
        trial = scratch.ask()
        cand = sample(space, trial)
        params = json.dumps(trial.params, sort_keys=True, default=str)
        if params in seen or not check.feasible(dict(cand.model)):
            continue
        seen.add(params)
        found.append(dict(trial.params))
        if len(found) >= count:
            break
    return found


def start_count(space, n_trials: int | None) -> int:
    """How many feasible candidates to enqueue: the first generation of the sampler."""

    return first_generation(space, n_trials)


def enqueue_feasible_start(space, study: optuna.Study, n_trials: int | None, seed: int) -> int:
    """Enqueue a feasible first generation into a new constrained study; returns how many."""
    if study.trials:
        return 0
    params = feasible_candidates(space, start_count(space, n_trials), seed)
    for p in params:
        study.enqueue_trial(p, user_attrs={"origin": FEASIBLE_START}, skip_if_exists=True)
    return len(params)

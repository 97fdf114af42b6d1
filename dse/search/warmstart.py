"""A feasible start: before a constrained study's first trial, random candidates are drawn
offline (no trial spent) and checked against the architecture-only constraints; feasible
ones are enqueued as the first trials, so the sampler's first generation (NSGA-II's
population, TPE's start-up trials) is not half rejected."""

from __future__ import annotations

import json

import optuna

from dse import metrics
from dse.constraints import violations
from dse.metrics import MeasureContext


def feasible_candidates(space, count: int, seed: int, max_draws: int | None = None
                        ) -> list[dict]:
    """Up to `count` distinct random parameter sets of `space` whose candidates satisfy its
    architecture-only constraints (cheap metrics only: no latency, no training)."""
    from dse.search.space import sample
    from dse.train.job import build_model

    arch_constraints = [c for c in space.constraints if c.arch]
    if not arch_constraints or count <= 0:
        return []
    wanted = {c.metric for c in arch_constraints}
    scratch = optuna.create_study(directions=space.directions,
                                  sampler=optuna.samplers.RandomSampler(seed=seed))
    found, seen, cache = [], set(), {}
    for _ in range(max_draws or 50 * count):
        trial = scratch.ask()
        cand = sample(space, trial)
        key = json.dumps(cand["model"], sort_keys=True)
        if key not in cache:
            model = build_model(cand["model"], space.dataset)
            values = {}
            for m in metrics.all_metrics():  # only what the constraints need
                if m.arch and m.name in wanted:
                    values.update(metrics.measure_one(m, model, MeasureContext(3)))
            cache[key] = values
        params = json.dumps(trial.params, sort_keys=True, default=str)
        if params in seen or violations(arch_constraints, cache[key], arch_only=True):
            continue
        seen.add(params)
        found.append(dict(trial.params))
        if len(found) >= count:
            break
    return found


def start_count(space, n_trials: int | None) -> int:
    """How many feasible candidates to enqueue: the first generation of the sampler."""
    if space.sampler == "nsga2":
        return space.population_size
    if space.sampler in ("tpe", "gp"):
        return 10
    if space.sampler == "random":
        return n_trials or 50
    return 0


def enqueue_feasible_start(space, study: optuna.Study, n_trials: int | None, seed: int) -> int:
    """Enqueue a feasible first generation into a new constrained study; returns how many."""
    if study.trials:
        return 0
    params = feasible_candidates(space, start_count(space, n_trials), seed)
    for p in params:
        study.enqueue_trial(p, skip_if_exists=True)
    return len(params)

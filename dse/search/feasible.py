"""Architecture-only constraints checked before a trial is spent.

Two users: the feasible start (random candidates drawn offline and enqueued as a study's
first trials) and `FeasibleSampler`, which wraps a sampler so that a joint proposal whose
model breaks an architecture-only constraint (size, MACs, parameters) is redrawn, a
bounded number of times, instead of becoming a rejected trial. Candidates that still break
one are recorded as infeasible by the objective, so the sampler learns from them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import optuna
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial

from dse import metrics
from dse.constraints import violations
from dse.metrics import MeasureContext
from dse.search.candidate import sample_model
from dse.search.samplers import SAMPLERS
from dse.train.job import build_model


class ArchCheck:
    """Whether a model spec meets a space's architecture-only constraints (cached per spec)."""

    def __init__(self, space) -> None:
        self.space = space
        self.constraints = [c for c in space.constraints if c.arch]
        self._wanted = {c.metric for c in self.constraints}
        self._cache: dict[str, bool] = {}

    def __bool__(self) -> bool:
        return bool(self.constraints)

    def feasible(self, model_spec: dict) -> bool:
        """True if the spec's cheap architecture metrics meet every constraint."""

        key = json.dumps(model_spec, sort_keys=True, default=str)
        if key not in self._cache:
            model = build_model(model_spec, self.space.dataset)
            values: dict[str, float] = {}
            ok = True
            for m in metrics.all_metrics():  # in registry order, cheap ones first
                if not (m.arch and m.name in self._wanted):
                    continue
                values.update(metrics.measure_one(m, model, MeasureContext(3)))
                mine = [c for c in self.constraints if c.metric == m.name]
                if violations(mine, values, arch_only=True):  # stop at the first broken
                    ok = False
                    break
            self._cache[key] = ok
        return self._cache[key]

    def params_feasible(self, params: dict) -> bool | None:
        """Feasibility of a (partial) parameter set; None when it does not fix the model."""

        try:
            spec = sample_model(self.space, optuna.trial.FixedTrial(params))
        except (ValueError, KeyError):
            return None
        try:
            return self.feasible(spec)
        except Exception:  # an invalid spec: let the objective report it properly
            return None


class FeasibleSampler(optuna.samplers.BaseSampler):
    """A sampler whose joint proposals meet the architecture-only constraints.

    `sample_relative` of the wrapped sampler (TPE's multivariate draw, NSGA-II's offspring)
    is asked again, up to `tries` times, while its proposal fixes a model that breaks a
    constraint; if every try breaks one (or the sampler repeats itself), the last proposal
    is used and the objective records it as infeasible. Independent draws are not checked.
    """

    def __init__(self, inner: optuna.samplers.BaseSampler, check: ArchCheck,
                 tries: int = 30) -> None:
        self.inner, self.check, self.tries = inner, check, tries
        self.redrawn = 0  # proposals replaced (for benchmarks and tests)

    def infer_relative_search_space(self, study, trial: FrozenTrial
                                    ) -> dict[str, BaseDistribution]:
        return self.inner.infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial: FrozenTrial,
                        search_space: dict[str, BaseDistribution]) -> dict:
        seen = set()
        params = self.inner.sample_relative(study, trial, search_space)
        for _ in range(self.tries - 1):
            key = json.dumps(params, sort_keys=True, default=str)
            if not params or key in seen or self.check.params_feasible(params) is not False:
                break
            seen.add(key)
            self.redrawn += 1
            params = self.inner.sample_relative(study, trial, search_space)
        return params

    def sample_independent(self, study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution):
        return self.inner.sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study, trial: FrozenTrial) -> None:
        self.inner.before_trial(study, trial)

    def after_trial(self, study, trial: FrozenTrial, state, values: Sequence[float] | None
                    ) -> None:
        self.inner.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self.inner.reseed_rng()


def make_sampler(space, seed: int) -> optuna.samplers.BaseSampler:
    """The space's sampler, seeded; with architecture-only constraints, wrapped so that its
    joint proposals that break them are redrawn before a trial is spent (dse.search.feasible)."""

    entry = SAMPLERS.get(space.sampler)
    sampler = entry.factory(space, seed, entry.options(space.sampler_options))
    check = ArchCheck(space)
    if check and entry.redraw:
        return FeasibleSampler(sampler, check)
    return sampler

"""Samplers by name: a space's `sampler:` picks one; `@register_sampler` adds one.

A factory gets the validated space and a seed and returns an Optuna sampler. Constraints
reach constraint-aware samplers through `Trial.set_constraint`, which the objective calls,
so factories need not pass a `constraints_func`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import optuna

SamplerFactory = Callable[[Any, int], optuna.samplers.BaseSampler]
_SAMPLERS: dict[str, SamplerFactory] = {}


def register_sampler(name: str):
    """Decorator: register `factory(space, seed) -> optuna sampler` under `name`."""
    def wrap(factory: SamplerFactory) -> SamplerFactory:
        if name in _SAMPLERS:
            raise ValueError(f"sampler {name!r} is already registered")
        _SAMPLERS[name] = factory
        return factory
    return wrap


def samplers() -> list[str]:
    """Registered sampler names."""
    return sorted(_SAMPLERS)


def make_sampler(space, seed: int) -> optuna.samplers.BaseSampler:
    """The space's sampler, seeded; with architecture-only constraints, wrapped so that its
    joint proposals that break them are redrawn before a trial is spent (dse.search.feasible)."""
    from dse.search.feasible import ArchCheck, FeasibleSampler

    sampler = _SAMPLERS[space.sampler](space, seed)
    check = ArchCheck(space)
    if check and space.sampler != "grid":
        return FeasibleSampler(sampler, check)
    return sampler


@register_sampler("nsga2")
def _nsga2(space, seed: int):
    return optuna.samplers.NSGAIISampler(population_size=space.population_size, seed=seed)


@register_sampler("tpe")
def _tpe(space, seed: int):
    return optuna.samplers.TPESampler(seed=seed, multivariate=True)


@register_sampler("gp")
def _gp(space, seed: int):
    return optuna.samplers.GPSampler(seed=seed)


@register_sampler("random")
def _random(space, seed: int):
    return optuna.samplers.RandomSampler(seed=seed)


@register_sampler("grid")
def _grid(space, seed: int):
    from dse.search.candidate import grid_space

    return optuna.samplers.GridSampler(grid_space(space), seed=seed)

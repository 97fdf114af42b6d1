"""Samplers by name: a space's `sampler:` picks one (`tpe`, or `{nsga2: {population_size:
40}}`), `@register_sampler` adds one. Each is a registry entry with a pydantic options
model, checked when a space loads, and says how large its first generation is (the
feasible start enqueues that many) and whether its proposals may be redrawn.

A factory gets the validated space, a seed and its options and returns an Optuna sampler.
Constraints reach constraint-aware samplers through `Trial.set_constraint`, which the
objective calls, so factories need not pass a `constraints_func`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import optuna
from pydantic import BaseModel, ConfigDict, Field

from dse.registry import NoOptions, Registry, check_options
from dse.search.params import grid_space

SamplerFactory = Callable[[Any, int, Any], optuna.samplers.BaseSampler]


@dataclass(frozen=True)
class SamplerEntry:
    """A registered sampler: its factory, options model and first-generation rule."""

    name: str
    factory: SamplerFactory
    Options: type[BaseModel] = NoOptions
    #: (options, trials asked for) -> feasible candidates to enqueue before it starts
    first_generation: Callable[[Any, int | None], int] = lambda options, n_trials: 10
    redraw: bool = True  # its joint proposals may be redrawn to meet constraints

    def options(self, given: Any) -> BaseModel:
        """`given` validated (ValueError naming the option)."""
        return check_options(self.Options, given, self.name)


SAMPLERS: Registry[SamplerEntry] = Registry("sampler")


def register_sampler(name: str, Options: type[BaseModel] = NoOptions, *,
                     first_generation: Callable[[Any, int | None], int] | None = None,
                     redraw: bool = True):
    """`@register_sampler("name", Options, first_generation=..., redraw=...)` on a factory
    `(space, seed, options) -> optuna sampler`."""
    def wrap(factory: SamplerFactory) -> SamplerFactory:
        SAMPLERS.register(name, SamplerEntry(
            name, factory, Options, first_generation or (lambda o, n: 10), redraw))
        return factory
    return wrap


def samplers() -> list[str]:
    """Registered sampler names."""
    return SAMPLERS.names()


def first_generation(space, n_trials: int | None) -> int:
    """How many feasible candidates the space's sampler wants enqueued before it starts."""
    entry = SAMPLERS.get(space.sampler)
    return entry.first_generation(entry.options(space.sampler_options), n_trials)


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class NSGA2Options(_Options):
    """NSGA-II: generation size and variation rates."""

    population_size: int = Field(default=20, ge=2, le=10_000)
    crossover_prob: float = Field(default=0.9, ge=0.0, le=1.0)
    mutation_prob: float | None = Field(default=None, ge=0.0, le=1.0)


@register_sampler("nsga2", NSGA2Options, first_generation=lambda o, n: o.population_size)
def _nsga2(space, seed: int, o: NSGA2Options):
    return optuna.samplers.NSGAIISampler(population_size=o.population_size, seed=seed,
                                         crossover_prob=o.crossover_prob,
                                         mutation_prob=o.mutation_prob)


class StartupOptions(_Options):
    """Random trials before the model-based proposals start."""

    n_startup_trials: int = Field(default=10, ge=1, le=10_000)


class TPEOptions(StartupOptions):
    """TPE: start-up trials, and whether dimensions are modelled jointly."""

    multivariate: bool = True


@register_sampler("tpe", TPEOptions, first_generation=lambda o, n: o.n_startup_trials)
def _tpe(space, seed: int, o: TPEOptions):
    return optuna.samplers.TPESampler(seed=seed, multivariate=o.multivariate,
                                      n_startup_trials=o.n_startup_trials)


@register_sampler("gp", StartupOptions, first_generation=lambda o, n: o.n_startup_trials)
def _gp(space, seed: int, o: StartupOptions):
    return optuna.samplers.GPSampler(seed=seed, n_startup_trials=o.n_startup_trials)


@register_sampler("random", first_generation=lambda o, n: n or 50)
def _random(space, seed: int, o):
    return optuna.samplers.RandomSampler(seed=seed)


@register_sampler("grid", first_generation=lambda o, n: 0, redraw=False)
def _grid(space, seed: int, o):

    return optuna.samplers.GridSampler(grid_space(space), seed=seed)

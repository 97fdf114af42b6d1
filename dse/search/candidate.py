"""Optuna trial -> candidate: drawing a model spec and a training recipe from a space.

Every dimension gets a stable Optuna parameter name (`width`, `blocks3`, `sgd.momentum`),
so samplers, warm starts, baselines and the grid sampler all speak the same names.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import optuna

from dse.search.dims import (
    RECIPE_KEYS,
    Choice,
    Dim,
    FloatRange,
    IntRange,
    LogRange,
    shorten,
)
from dse.train.recipe import DEFAULT_RECIPE

if TYPE_CHECKING:  # the schema module imports this one (the grid sampler's space)
    from dse.search.space import SearchSpace


def _suggest(trial: optuna.Trial, name: str, dim: Dim) -> Any:
    if isinstance(dim, Choice):
        encoded = [encode(c) for c in dim.choices]
        return decode(trial.suggest_categorical(name, encoded))
    if isinstance(dim, IntRange):
        return trial.suggest_int(name, dim.int[0], dim.int[1], step=dim.step)
    if isinstance(dim, FloatRange):
        return trial.suggest_float(name, *dim.float)
    if isinstance(dim, LogRange):
        return trial.suggest_float(name, *dim.log, log=True)
    return dim


def encode(v: Any):
    """A value as Optuna stores it: lists (block counts) become "2-4-12-1"."""
    return "-".join(str(x) for x in v) if isinstance(v, list) else v


def decode(v: Any):
    """The inverse of `encode`."""
    if isinstance(v, str) and "-" in v and all(p.isdigit() for p in v.split("-")):
        return [int(p) for p in v.split("-")]
    return v


def sample_model(space: SearchSpace, trial: optuna.Trial) -> dict:
    """Draw the model part of a candidate: a spec for dse.models.create."""
    m = space.model
    if m.name is not None:
        return {"name": _suggest(trial, "model", m.name)}
    model = {"name": m.family}
    for key, dim in m.dims.items():
        if isinstance(dim, list):  # element by element: blocks1, blocks2, ...
            value = [_suggest(trial, f"{key}{i + 1}", d) for i, d in enumerate(dim)]
        else:
            value = _suggest(trial, key, dim)
        if value is not None:
            model[key] = value
    return model


def sample(space: SearchSpace, trial: optuna.Trial) -> dict:
    """Draw one candidate: {"model": spec for dse.models.create, "train": TrainConfig kwargs}."""
    model = sample_model(space, trial)
    t = space.training
    opt = _branch(trial, "optimizer", t.optimizer)
    sched = _branch(trial, "schedule", t.schedule)
    params = opt[1]
    train = {"optimizer": opt[0], "lr": params.pop("lr", DEFAULT_RECIPE.lr),
             "optimizer_kwargs": params,
             "schedule": sched[0], "schedule_kwargs": sched[1]}
    for key in RECIPE_KEYS:
        train[key] = _suggest(trial, key, getattr(t, key))
    return {"model": model, "train": train}


def _branch(trial: optuna.Trial, what: str, options: dict) -> tuple[str, dict]:
    name = (next(iter(options)) if len(options) == 1
            else trial.suggest_categorical(what, list(options)))
    return name, {k: _suggest(trial, f"{name}.{k}", d) for k, d in options[name].items()}


def all_dims(space: SearchSpace) -> dict[str, Dim]:
    """Every dimension with its Optuna parameter name (conditional ones included)."""
    m, t, dims = space.model, space.training, {}
    if m.name is not None:
        dims["model"] = m.name
    for key, dim in m.dims.items():
        if isinstance(dim, list):
            dims.update({f"{key}{i + 1}": d for i, d in enumerate(dim)})
        else:
            dims[key] = dim
    for what in ("optimizer", "schedule"):
        options = getattr(t, what)
        if len(options) > 1:
            dims[what] = Choice(choices=list(options))
        for name, params in options.items():
            dims.update({f"{name}.{k}": d for k, d in params.items()})
    dims.update({k: getattr(t, k) for k in RECIPE_KEYS})
    return dims


def grid_space(space: SearchSpace) -> dict[str, list]:
    """Optuna GridSampler's search space; only categorical, unconditional dimensions allowed."""
    grid = {}
    for name, dim in all_dims(space).items():
        if isinstance(dim, IntRange):
            dim = Choice(choices=list(range(dim.int[0], dim.int[1] + 1, dim.step)))
        if isinstance(dim, FloatRange | LogRange):
            raise ValueError(f"the grid sampler needs choices, but {name} is a float range")
        if isinstance(dim, Choice):
            if "." in name and len(dim.choices) > 1:
                raise ValueError(f"the grid sampler cannot vary {name}, which depends on another "
                                 f"choice; fix it or use another sampler")
            grid[name] = [encode(c) for c in dim.choices]
    return grid


def cardinality(space: SearchSpace) -> float:
    """Number of distinct candidates (math.inf with any float range)."""
    total = 1.0
    for dim in all_dims(space).values():
        if isinstance(dim, Choice):
            total *= len(dim.choices)
        elif isinstance(dim, IntRange):
            total *= (dim.int[1] - dim.int[0]) // dim.step + 1
        elif isinstance(dim, FloatRange | LogRange):
            return math.inf
    return total


def describe(space: SearchSpace) -> list[tuple[str, str]]:
    """(parameter, human-readable range) for every dimension."""
    rows = []
    for name, dim in all_dims(space).items():
        if isinstance(dim, Choice):
            text = "one of " + ", ".join(shorten(c, 30) for c in dim.choices)
        elif isinstance(dim, IntRange):
            text = f"int {dim.int[0]}..{dim.int[1]}" + (f" step {dim.step}" if dim.step > 1
                                                        else "")
        elif isinstance(dim, FloatRange):
            text = f"float {dim.float[0]}..{dim.float[1]}"
        elif isinstance(dim, LogRange):
            text = f"log-uniform {dim.log[0]:g}..{dim.log[1]:g}"
        else:
            text = f"fixed {shorten(dim)}"
        rows.append((name, text))
    return rows


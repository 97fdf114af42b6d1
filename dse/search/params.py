"""A space's dimensions as Optuna parameters: their stable names (`width`, `blocks3`,
`sgd.momentum`), how values are stored, the grid sampler's space, the cardinality and the
description `dse space show` prints. Samplers, warm starts, baselines and sampling all
speak these names."""

from __future__ import annotations

import math
from typing import Any, Protocol

from dse.search.dims import Choice, Dim, FloatRange, IntRange, LogRange, shorten
from dse.search.model_space import ModelSpace
from dse.search.recipe_space import TrainingSpace


class Dimensioned(Protocol):
    """What these functions read of a search space: its model and training sections."""

    model: ModelSpace
    training: TrainingSpace


def encode(v: Any):
    """A value as Optuna stores it: lists (block counts) become "2-4-12-1"."""
    return "-".join(str(x) for x in v) if isinstance(v, list) else v


def decode(v: Any):
    """The inverse of `encode`."""
    if isinstance(v, str) and "-" in v and all(p.isdigit() for p in v.split("-")):
        return [int(p) for p in v.split("-")]
    return v


def all_dims(space: Dimensioned) -> dict[str, Dim]:
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
    dims.update({k: getattr(t, k) for k in t.recipe_keys()})
    return dims


def grid_space(space: Dimensioned) -> dict[str, list]:
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


def cardinality(space: Dimensioned) -> float:
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


def describe(space: Dimensioned) -> list[tuple[str, str]]:
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


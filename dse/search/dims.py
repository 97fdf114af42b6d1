"""How a space writes one dimension, and what values it can reach.

A dimension is a fixed value (`0.9`, `relu`, `[2, 4, 12, 1]`), `{choices: [...]}`,
`{int: [lo, hi]}` (optional `step`), `{float: [lo, hi]}` or `{log: [lo, hi]}`. This module
parses them and checks a model section's dimensions against a family's config (each value
a range can reach, then combinations); `space.py` builds the whole schema from them and
`candidate.py` draws from them.
"""

from __future__ import annotations

import math
import random
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

#: The plain recipe dimensions of a space (optimizer and schedule are branches).
RECIPE_KEYS = ("batch_size", "weight_decay", "label_smoothing", "augment", "warmup_epochs",
               "ema_decay")  # the plain recipe dimensions (optimizer and schedule branch)
#: Recipe dimensions a candidate carries only when its space sets them, so that candidates
#: (and the keys of stored measurements) of spaces without them stay as they were.
OPTIONAL_RECIPE_KEYS = ("policy", "erasing", "mix", "mix_alpha", "mix_ramp", "precision")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Choice(_Strict):
    """A categorical dimension."""

    choices: list[Any] = Field(min_length=1)


class IntRange(_Strict):
    """An integer range, bounds included."""

    int: tuple[int, int]
    step: int = 1

    @model_validator(mode="after")
    def _order(self):
        if self.int[0] > self.int[1] or self.step < 1:
            raise ValueError(f"int range needs lo <= hi and step >= 1, got {list(self.int)}")
        return self


class FloatRange(_Strict):
    """A uniform float range."""

    float: tuple[float, float]

    @model_validator(mode="after")
    def _order(self):
        if self.float[0] > self.float[1]:
            raise ValueError(f"float range needs lo <= hi, got {list(self.float)}")
        return self


class LogRange(_Strict):
    """A log-uniform float range (lo > 0)."""

    log: tuple[float, float]

    @model_validator(mode="after")
    def _order(self):
        if not 0 < self.log[0] <= self.log[1]:
            raise ValueError(f"log range needs 0 < lo <= hi, got {list(self.log)}")
        return self


Range = Choice | IntRange | FloatRange | LogRange
Dim = Range | bool | int | float | str | list | None


def parse_dim(value: Any) -> Dim:
    if isinstance(value, dict):
        keys = set(value) - {"step"}
        cls = {"choices": Choice, "int": IntRange, "float": FloatRange, "log": LogRange}
        if len(keys) != 1 or next(iter(keys)) not in cls:
            raise ValueError(f"a range is one of {{choices: [...]}}, {{int: [lo, hi]}}, "
                             f"{{float: [lo, hi]}}, {{log: [lo, hi]}}; got {shorten(value)}")
        dim = cls[next(iter(keys))].model_validate(value)
        if isinstance(dim, Choice):
            for c in dim.choices:
                _finite(c)
        return dim
    return _finite(value)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    if isinstance(value, list):
        for v in value:
            _finite(v)
    return value


def values(dim: Dim) -> list:
    """The values a dimension can take that bound it: choices, a range's ends, a fixed value."""
    if isinstance(dim, Choice):
        return list(dim.choices)
    if isinstance(dim, IntRange):
        return list(dim.int)
    if isinstance(dim, FloatRange):
        return list(dim.float)
    if isinstance(dim, LogRange):
        return list(dim.log)
    return [dim]


def check_values(dim: Dim, allowed: list, what: str) -> None:
    if isinstance(dim, IntRange | FloatRange | LogRange):
        raise ValueError(f"{what} takes fixed values or choices, not a range")
    bad = [v for v in values(dim) if v not in allowed]
    if bad:
        raise ValueError(f"{what} {shorten(bad)} not allowed; allowed: {allowed}")


def shorten(value: Any, limit: int = 60) -> str:
    """repr(value), cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        e = exc.errors()[0]
        loc = ".".join(str(x) for x in e["loc"])
        return (f"{loc}: " if loc else "") + e["msg"].removeprefix("Value error, ")
    return str(exc)


def keyed(errors: list[str]) -> PydanticCustomError:
    """An error whose message already names its key paths (printed as is)."""
    return PydanticCustomError("dse_keyed", "{detail}", {"detail": "; ".join(errors)})


def check_dimensions(config: type, dims: dict[str, Any]) -> list[str]:
    """Errors ('model.width: ...') for every dimension value `config` cannot build."""
    allowed = config.dimensions()
    errors, corner = [], {}
    for key, dim in dims.items():
        path = f"model.{key}"
        if key not in allowed:
            errors.append(f"{path}: not a dimension of family {config.family!r}; its "
                          f"dimensions are {', '.join(allowed)}")
            continue
        if isinstance(dim, list):  # element by element: vary one element at a time
            base = [values(d)[0] for d in dim]
            trials = [base] + [base[:i] + [v] + base[i + 1:]
                               for i, d in enumerate(dim) for v in values(d)]
        else:
            trials = values(dim)
        for value in trials:
            why = config.check_value(key, value)
            if why:
                errors.append(f"{path}: {shorten(value)} cannot be built: {why}")
                break
        corner[key] = trials[0]
    if not errors:
        errors += _check_combinations(config, dims, corner)
    return errors


def _check_combinations(config: type, dims: dict[str, Any], corner: dict,
                        draws: int = 200) -> list[str]:
    """Dimensions valid one by one may still be impossible together (a rule of the
    family's config across dimensions): try the corner and `draws` seeded random
    combinations of the values that bound each dimension."""
    rng = random.Random(0)
    pools = {k: ([values(d) for d in dim] if isinstance(dim, list) else values(dim))
             for k, dim in dims.items()}
    combos = [corner] + [
        {k: ([rng.choice(p) for p in pool] if isinstance(dims[k], list) else rng.choice(pool))
         for k, pool in pools.items()} for _ in range(draws)]
    for combo in combos:
        try:
            config(**combo)
        except ValidationError as exc:
            e = exc.errors()[0]
            where = ".".join(str(x) for x in e["loc"])
            given = ", ".join(f"{k}={shorten(v, 30)}" for k, v in combo.items())
            return [f"model{'.' + where if where else ''}: {e['msg'].removeprefix('Value error, ')}"
                    f" (for example {given})"]
    return []


def draw(dim: Dim, rng: random.Random) -> Any:
    """One value of a dimension, uniformly at random (log-uniformly for a log range)."""
    if isinstance(dim, Choice):
        return rng.choice(dim.choices)
    if isinstance(dim, IntRange):
        return rng.randrange(dim.int[0], dim.int[1] + 1, dim.step)
    if isinstance(dim, FloatRange):
        return rng.uniform(*dim.float)
    if isinstance(dim, LogRange):
        return math.exp(rng.uniform(math.log(dim.log[0]), math.log(dim.log[1])))
    return dim


def _plain(v: Any) -> Any:
    return [_plain(x) for x in v] if isinstance(v, list | tuple) else v


def contains(dim: Dim, value: Any) -> bool:
    """Whether a dimension can take `value`: a choice, a point of a range (on its step), or
    the fixed value (lists and tuples compare alike)."""
    if isinstance(dim, Choice):
        return _plain(value) in [_plain(c) for c in dim.choices]
    if isinstance(dim, IntRange):
        lo, hi = dim.int
        return isinstance(value, int) and lo <= value <= hi and (value - lo) % dim.step == 0
    if isinstance(dim, FloatRange | LogRange):
        lo, hi = dim.float if isinstance(dim, FloatRange) else dim.log
        return isinstance(value, int | float) and lo <= value <= hi
    return _plain(value) == _plain(dim)

"""How many distinct architectures a space holds, and how many meet architecture-only
constraints (size, MACs, parameters): counted exactly when the space is small, estimated
by uniform sampling (with a Wilson 95 % interval) when it is not.

An architecture is a combination of the space's model dimensions, less those that do not
change the network (dropout); two combinations that build the same network (a width and
the channels it resolves to) count once when counted exactly.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from dataclasses import dataclass

from dse.models.registry import make_config
from dse.search.feasible import ArchCheck
from dse.search.space import Choice, FloatRange, IntRange, LogRange, SearchSpace

#: Model dimensions that leave the network's layers unchanged.
NOT_STRUCTURAL = ("dropout",)


@dataclass(frozen=True)
class Census:
    """The answer: `total` combinations, `feasible` of them (exact or estimated)."""

    total: float
    feasible: float
    low: float  # 95 % interval of `feasible` (equal to it when exact)
    high: float
    method: str  # how it was counted, in words
    drawn: int = 0

    def text(self) -> str:
        """One sentence for the terminal."""
        if self.low == self.high:
            return f"{self.feasible:,.0f} of {self.total:,.0f} architectures ({self.method})"
        return (f"about {self.feasible:,.0f} of {self.total:,.0f} architectures, 95 % "
                f"interval {self.low:,.0f}-{self.high:,.0f} ({self.method})")


def _choices(dim) -> list | None:
    """Every value of a discrete dimension; None for a continuous range."""
    if isinstance(dim, Choice):
        return list(dim.choices)
    if isinstance(dim, IntRange):
        return list(range(dim.int[0], dim.int[1] + 1, dim.step))
    if isinstance(dim, FloatRange | LogRange):
        return None
    return [dim]


def structural_slots(space: SearchSpace) -> list[tuple[str, int | None, list | None]]:
    """(dimension, element index or None, its values) for each structural model slot."""
    slots = []
    for key, dim in space.model.dims.items():
        if key in NOT_STRUCTURAL:
            continue
        if isinstance(dim, list):
            slots += [(key, i, _choices(d)) for i, d in enumerate(dim)]
        else:
            slots.append((key, None, _choices(dim)))
    if space.model.name is not None:
        slots.append(("name", None, _choices(space.model.name)))
    return slots


def _dims(space: SearchSpace, slots) -> list:
    out = []
    for key, i, _ in slots:
        dim = space.model.name if key == "name" else space.model.dims[key]
        out.append(dim[i] if i is not None else dim)
    return out


def _draw(dim, rng: random.Random) -> float:
    """A uniform (or log-uniform) draw from a continuous range."""
    if isinstance(dim, LogRange):
        return math.exp(rng.uniform(math.log(dim.log[0]), math.log(dim.log[1])))
    return rng.uniform(*dim.float)


def spec_of(space: SearchSpace, slots, values) -> dict:
    if space.model.name is not None:
        return {"name": values[-1]}
    spec: dict = {"name": space.model.family}
    for (key, i, _), v in zip(slots, values, strict=True):
        if i is None:
            spec[key] = v
        else:
            spec.setdefault(key, [None] * len(space.model.dims[key]))[i] = v
    return spec


def canonical_key(spec: dict) -> str:
    """A model spec's network identity: equal keys, equal networks (width resolved)."""

    args = dict(spec)
    cfg = make_config(args.pop("name"), **args)
    return json.dumps({"family": type(cfg).family, **cfg.canonical()}, sort_keys=True)


def draw_architectures(space: SearchSpace, count: int, seed: int,
                       exclude: frozenset[str] | set[str] = frozenset()) -> list[dict]:
    """`count` distinct model specs drawn uniformly from `space`'s structural dimensions,
    none whose canonical_key is in `exclude` (the profile's, for held-out networks)."""
    slots, rng = structural_slots(space), random.Random(seed)
    specs, seen = [], set(exclude)
    for _ in range(50 * count):
        spec = spec_of(space, slots, [rng.choice(v) for _, _, v in slots])
        key = canonical_key(spec)
        if key not in seen:
            seen.add(key)
            specs.append(spec)
        if len(specs) == count:
            break
    return specs


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion k/n."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def census(space: SearchSpace, exact_limit: int = 2000, samples: int = 1000,
           seed: int = 0, progress=None) -> Census:
    """Count (or estimate) the architectures of `space` meeting its architecture-only
    constraints; `progress(done, todo)` is called as candidates are measured."""
    slots = structural_slots(space)
    check = ArchCheck(space)
    sizes = [len(v) if v is not None else math.inf for _, _, v in slots]
    total = math.prod(sizes)
    if total <= exact_limit:
        seen: dict[str, bool] = {}
        combos = list(itertools.product(*(v for _, _, v in slots)))
        for n, values in enumerate(combos):
            spec = spec_of(space, slots, values)
            key = canonical_key(spec)
            if key not in seen:
                seen[key] = check.feasible(spec) if check else True
            if progress:
                progress(n + 1, len(combos))
        k = sum(seen.values())
        return Census(len(seen), k, k, k, f"counted exactly over {len(combos):,} "
                      f"combinations, {len(seen):,} distinct networks")
    rng = random.Random(seed)
    k = 0
    for n in range(samples):
        values = [rng.choice(v) if v is not None else _draw(dim, rng)
                  for (key, i, v), dim in zip(slots, _dims(space, slots), strict=True)]
        k += bool(check.feasible(spec_of(space, slots, values))) if check else 1
        if progress:
            progress(n + 1, samples)
    lo, hi = wilson(k, samples)
    return Census(total, total * k / samples, total * lo, total * hi,
                  f"estimated from {samples:,} combinations drawn uniformly at random "
                  f"(seed {seed}), {k:,} feasible; Wilson 95 % interval", samples)

"""References another calibration already trained, reused where they are this one's: the
same data set, reference training and seed, a candidate this space can draw (every model
value within its dimensions, its one recipe), meeting its architecture constraints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dse.models import get_family
from dse.search.dims import contains
from dse.search.feasible import ArchCheck
from dse.search.space import SearchSpace


def _holds(dim: Any, value: Any) -> bool:
    if isinstance(dim, list):  # element by element
        return (isinstance(value, list | tuple) and len(value) == len(dim)
                and all(contains(d, v) for d, v in zip(dim, value, strict=True)))
    return contains(dim, value)


def in_space(space: SearchSpace, spec: dict) -> bool:
    """Whether the space can draw the model `spec` (dimensions it does not set must be at
    the family's default)."""
    m = space.model
    if m.family is None or spec.get("name") != m.family:
        return False
    fields = get_family(m.family).config.model_fields
    for key, value in spec.items():
        if key == "name":
            continue
        if key in m.dims:
            if not _holds(m.dims[key], value):
                return False
        elif key not in fields or not contains(fields[key].default, value):
            return False
    return True


def reusable(space: SearchSpace, plan: dict, recipe: dict, reference: dict, seed: int,
             folder: Path) -> list[tuple[dict, Path]]:
    """(candidate, its finished reference result.json) of the calibration in `folder` (whose
    plan is `plan`) that this calibration of `space` can count as its own."""
    if (plan.get("dataset") != space.dataset or plan.get("reference") != reference
            or plan.get("seed") != seed):
        return []
    check = ArchCheck(space)
    out = []
    for i, cand in enumerate(plan.get("candidates", [])):
        result = folder / "runs" / f"c{i:03d}-reference" / "result.json"
        if not result.is_file() or cand.get("train") != recipe:
            continue
        if in_space(space, cand["model"]) and (not check or check.feasible(cand["model"])):
            out.append((cand, result))
    return out

"""What another calibration already trained, reused where it is this one's: references
(the same data set, reference training and seed, a candidate this space can draw, every
model value within its dimensions and its one recipe, meeting its architecture
constraints) and supernets (the same data set and seed, trained by a fidelity there as a
oneshot fidelity here would train them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dse.models import get_family
from dse.search.dims import contains
from dse.search.feasible import ArchCheck
from dse.search.fidelity import Fidelity
from dse.search.space import SearchSpace
from dse.search.supernets import groups, supernet_name, supernet_path, trains


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


def supernets(space: SearchSpace, fidelities: list[str], plan: dict, seed: int,
              folder: Path, into: Path) -> list[tuple[Path, Path]]:
    """(file in calibration `folder`, its path in calibration folder `into`) of each
    supernet there that a oneshot fidelity of `fidelities` would train here and that
    `into` lacks (`folder`'s plan is `plan`)."""
    if plan.get("dataset") != space.dataset or plan.get("seed") != seed:
        return []
    theirs = {}
    for name in plan.get("fidelities", []):
        key = trains(Fidelity.model_validate(plan["fidelity_settings"][name]))
        if key is not None:
            theirs.setdefault(key, name)
    out = []
    for fid in fidelities:
        name = theirs.get(trains(space.fidelities[fid]))
        if name is None:
            continue
        for g in groups(space):
            src = supernet_path(folder, name, g)
            dst = supernet_path(into, supernet_name(space, fid), g)
            if src.is_file() and not dst.exists() and (src, dst) not in out:
                out.append((src, dst))
    return out

"""Multi-objective asynchronous successive halving.

Optuna's pruners refuse multi-objective studies, so dse ranks candidates itself. At each
rung (an epoch count), a trial compares its objective vector with every trial that has
reached the same rung so far: it continues if it lies in the best `max(1, n // eta)` of
them, ordered by non-dominated rank and then by crowding distance (NSGA-II's order).
Nobody waits for a rung to fill: a trial decides with what the storage holds when it gets
there, as ASHA does.
"""

from __future__ import annotations

from collections.abc import Sequence

from dse.pareto import order, to_minimise


def promotable(rung_values: Sequence[Sequence[float]], index: int, eta: int,
               directions: Sequence[str]) -> bool:
    """Whether the point at `index` is among the best max(1, n // eta) of its rung."""
    points = [to_minimise(v, directions) for v in rung_values]
    keep = max(1, len(points) // eta)
    return index in order(points)[:keep]

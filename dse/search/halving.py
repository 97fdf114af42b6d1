"""Multi-objective asynchronous successive halving.

Optuna's pruners refuse multi-objective studies, so dse ranks candidates itself. At each
rung (an epoch count), a trial compares its objective vector with every trial that has
reached the same rung so far: it continues if it lies in the best `max(1, n // eta)` of
them, ordered by non-dominated rank and then by crowding distance (NSGA-II's order).
Nobody waits for a rung to fill: a trial decides with what the storage holds when it gets
there, as ASHA does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def _dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """a dominates b (all objectives minimised)."""
    return all(x <= y for x, y in zip(a, b, strict=True)) and any(
        x < y for x, y in zip(a, b, strict=True))


def nondominated_ranks(points: Sequence[Sequence[float]]) -> list[int]:
    """Front index of every point (0 = non-dominated), all objectives minimised."""
    n = len(points)
    dominated_by = [[j for j in range(n) if _dominates(points[i], points[j])] for i in range(n)]
    count = [sum(_dominates(points[j], points[i]) for j in range(n)) for i in range(n)]
    ranks, front, r = [0] * n, [i for i in range(n) if count[i] == 0], 0
    while front:
        nxt = []
        for i in front:
            ranks[i] = r
            for j in dominated_by[i]:
                count[j] -= 1
                if count[j] == 0:
                    nxt.append(j)
        front, r = nxt, r + 1
    return ranks


def crowding_distances(points: Sequence[Sequence[float]]) -> list[float]:
    """NSGA-II crowding distance of each point within one set (boundary points: inf)."""
    n = len(points)
    if n <= 2:
        return [math.inf] * n
    dist = [0.0] * n
    for k in range(len(points[0])):
        order = sorted(range(n), key=lambda i: points[i][k])
        lo, hi = points[order[0]][k], points[order[-1]][k]
        dist[order[0]] = dist[order[-1]] = math.inf
        if hi == lo:
            continue
        for a, i, b in zip(order, order[1:], order[2:], strict=False):
            dist[i] += (points[b][k] - points[a][k]) / (hi - lo)
    return dist


def order(points: Sequence[Sequence[float]]) -> list[int]:
    """Indices from best to worst: by non-dominated rank, then larger crowding distance."""
    ranks = nondominated_ranks(points)
    crowd = [0.0] * len(points)
    for r in set(ranks):
        members = [i for i in range(len(points)) if ranks[i] == r]
        for i, d in zip(members, crowding_distances([points[i] for i in members]), strict=True):
            crowd[i] = d
    return sorted(range(len(points)), key=lambda i: (ranks[i], -crowd[i], i))


def to_minimise(values: Sequence[float], directions: Sequence[str]) -> list[float]:
    """Flip maximised objectives so that every objective is minimised."""
    return [-v if d == "maximize" else v for v, d in zip(values, directions, strict=True)]


def promotable(rung_values: Sequence[Sequence[float]], index: int, eta: int,
               directions: Sequence[str]) -> bool:
    """Whether the point at `index` is among the best max(1, n // eta) of its rung."""
    points = [to_minimise(v, directions) for v in rung_values]
    keep = max(1, len(points) // eta)
    return index in order(points)[:keep]

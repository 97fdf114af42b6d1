"""Pareto analysis shared by the search and the reports: dominance, ranks, crowding, hypervolume.

Every function takes points whose objectives are all minimised (see `to_minimise`).
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


def _area_2d(points: list[Sequence[float]], ref: Sequence[float]) -> float:
    area, best_y = 0.0, ref[1]
    for x, y in sorted((p[0], p[1]) for p in points if p[0] < ref[0] and p[1] < ref[1]):
        if y < best_y:
            area += (ref[0] - x) * (best_y - y)
            best_y = y
    return area


def hypervolume(points: Sequence[Sequence[float]], ref: Sequence[float]) -> float:
    """Exact hypervolume dominated by `points` up to `ref` (two or three objectives)."""
    pts = [list(p) for p in points if all(a < b for a, b in zip(p, ref, strict=True))]
    if not pts:
        return 0.0
    if len(ref) == 2:
        return _area_2d(pts, ref)
    if len(ref) != 3:
        raise ValueError("hypervolume supports two or three objectives")
    pts.sort(key=lambda p: p[2])
    total = 0.0
    for i, p in enumerate(pts):
        top = pts[i + 1][2] if i + 1 < len(pts) else ref[2]
        if top > p[2]:
            total += _area_2d(pts[: i + 1], ref) * (top - p[2])
    return total


def normaliser(points: Sequence[Sequence[float]]):
    """A function mapping points to [0, 1] per objective over the range of `points`."""
    lo = [min(c) for c in zip(*points, strict=True)]
    hi = [max(c) for c in zip(*points, strict=True)]

    def norm(p: Sequence[float]) -> list[float]:
        return [(v - a) / (b - a) if b > a else 0.0 for v, a, b in zip(p, lo, hi, strict=True)]

    return norm


def nondominated_mask(points: Sequence[Sequence[float]]) -> list[bool]:
    """True for points no other point dominates; O(n * front) after a lexicographic sort."""
    import numpy as np

    pts = np.asarray(points, dtype=float)
    if len(pts) == 0:
        return []
    order_ = np.lexsort(pts.T[::-1])  # a dominating point always sorts before its victim
    front: list[int] = []
    mask = [False] * len(pts)
    for i in order_:
        p = pts[i]
        if front:
            f = pts[front]
            if np.any(np.all(f <= p, axis=1) & np.any(f < p, axis=1)):
                continue
        front.append(i)
        mask[i] = True
    return mask


def hypervolume_history(points: Sequence[Sequence[float]], ref: Sequence[float]) -> list[float]:
    """Hypervolume of the first k points for every k, recomputed only when the front changes."""
    front: list[Sequence[float]] = []
    out, hv = [], 0.0
    for p in points:
        if not any(_dominates(q, p) or list(q) == list(p) for q in front):
            front = [q for q in front if not _dominates(p, q)] + [p]
            hv = hypervolume(front, ref)
        out.append(hv)
    return out

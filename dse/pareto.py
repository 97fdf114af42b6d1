"""Pareto analysis shared by the search and the reports: ranks, crowding, hypervolume.

Non-dominated sorting and hypervolume come from moocore (any number of objectives);
crowding distance, NSGA-II's tie-break, is a few lines of numpy. Every function takes
points whose objectives are all minimised (see `to_minimise`).
"""

from __future__ import annotations

from collections.abc import Sequence

import moocore
import numpy as np


def to_minimise(values: Sequence[float], directions: Sequence[str]) -> list[float]:
    """Flip maximised objectives so that every objective is minimised."""
    return [-v if d == "maximize" else v for v, d in zip(values, directions, strict=True)]


def nondominated_ranks(points: Sequence[Sequence[float]]) -> list[int]:
    """Front index of every point (0 = non-dominated), all objectives minimised."""
    if len(points) == 0:
        return []
    return [int(r) for r in moocore.pareto_rank(np.asarray(points, dtype=float))]


def nondominated_mask(points: Sequence[Sequence[float]]) -> list[bool]:
    """True for points no other point dominates (duplicates of a front point included)."""
    if len(points) == 0:
        return []
    return [bool(b) for b in moocore.is_nondominated(np.asarray(points, dtype=float),
                                                     keep_weakly=True)]


def crowding_distances(points: Sequence[Sequence[float]]) -> list[float]:
    """NSGA-II crowding distance of each point within one set (boundary points: inf)."""
    pts = np.asarray(points, dtype=float)
    n = len(pts)
    if n <= 2:
        return [float("inf")] * n
    dist = np.zeros(n)
    for k in range(pts.shape[1]):
        order_ = np.argsort(pts[:, k], kind="stable")
        col = pts[order_, k]
        span = col[-1] - col[0]
        dist[order_[0]] = dist[order_[-1]] = np.inf
        if span > 0:
            dist[order_[1:-1]] += (col[2:] - col[:-2]) / span
    return dist.tolist()


def order(points: Sequence[Sequence[float]]) -> list[int]:
    """Indices from best to worst: by non-dominated rank, then larger crowding distance."""
    ranks = nondominated_ranks(points)
    crowd = [0.0] * len(points)
    for r in set(ranks):
        members = [i for i in range(len(points)) if ranks[i] == r]
        for i, d in zip(members, crowding_distances([points[i] for i in members]), strict=True):
            crowd[i] = d
    return sorted(range(len(points)), key=lambda i: (ranks[i], -crowd[i], i))


def hypervolume(points: Sequence[Sequence[float]], ref: Sequence[float]) -> float:
    """Exact hypervolume dominated by `points` up to `ref` (any number of objectives)."""
    pts = np.asarray(points, dtype=float).reshape(-1, len(ref))
    pts = pts[np.all(pts < np.asarray(ref, dtype=float), axis=1)]
    if len(pts) == 0:
        return 0.0
    return float(moocore.hypervolume(pts, ref=np.asarray(ref, dtype=float)))


def normaliser(points: Sequence[Sequence[float]]):
    """A function mapping points to [0, 1] per objective over the range of `points`."""
    arr = np.asarray(points, dtype=float)
    lo, hi = arr.min(axis=0), arr.max(axis=0)

    def norm(p: Sequence[float]) -> list[float]:
        return [(v - a) / (b - a) if b > a else 0.0 for v, a, b in zip(p, lo, hi, strict=True)]

    return norm


def hypervolume_history(points: Sequence[Sequence[float]], ref: Sequence[float]) -> list[float]:
    """Hypervolume of the first k points for every k, recomputed only when the front changes."""
    arr = np.asarray(points, dtype=float)
    out, hv, front = [], 0.0, np.empty((0, len(ref)))
    for p in arr:
        if len(front) == 0 or not np.any(np.all(front <= p, axis=1)):
            front = np.vstack([front[~np.all(p <= front, axis=1)], p])
            hv = hypervolume(front, ref)
        out.append(hv)
    return out

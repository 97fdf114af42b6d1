"""`dse deploy run`: frames -> Classifier (birth / core / death) -> predictions and speed."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from dse.deploy.runtime import Classifier, frames


def run_frames(model: Path, source: Path, limit: int | None = None, every: int = 1,
               threads: int = 1, say=print, warn=print) -> str:
    """Classify frames from `source`; print every `every`-th prediction; return a summary."""
    clf = Classifier(model, threads)
    t_birth = time.perf_counter()
    clf.birth()
    birth_ms = (time.perf_counter() - t_birth) * 1e3
    times, correct, labelled, n = [], 0, 0, 0
    skipped = []
    start = time.perf_counter()
    try:
        for frame in frames(source, clf.classes, lambda m: (skipped.append(m), warn(m))):
            t0 = time.perf_counter()
            k, p = clf.core(frame.image)
            times.append((time.perf_counter() - t0) * 1e3)
            n += 1
            if frame.label is not None:
                labelled += 1
                correct += int(k == frame.label)
            if n % every == 0:
                truth = "" if frame.label is None else f" (label {clf.classes[frame.label]})"
                say(f"{frame.name}: {clf.classes[k]} {p:.2f}{truth}")
            if limit is not None and n >= limit:
                break
    finally:
        clf.death()
    wall = time.perf_counter() - start
    if not n:
        return f"no frames classified ({len(skipped)} skipped)"
    t = np.sort(np.asarray(times))
    line = (f"{n:,} frames in {wall:.2f} s: {n / wall:.1f} frames/s; core() latency p50 "
            f"{np.percentile(t, 50):.3f} ms, p99 {np.percentile(t, 99):.3f} ms ({threads} "
            f"thread(s)); birth {birth_ms:.0f} ms")
    if labelled:
        line += f"; accuracy {correct / labelled:.2%} on {labelled:,} labelled frames"
    if skipped:
        line += f"; {len(skipped)} files skipped"
    return line

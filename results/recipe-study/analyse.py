"""The recipe study's outcome: each arm's last-epoch validation accuracy by seed, and the
paired difference from the default recipe (same seed: same validation split, initial
weights and batch order) with a one-sided paired t-test (H1: the arm is more accurate).
Unfinished runs (no metrics.json yet) are listed and left out.

    .venv/bin/python results/recipe-study/analyse.py
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from scipy.stats import ttest_rel

HERE = Path(__file__).resolve().parent


def final_accuracies() -> dict[str, dict[int, float]]:
    """{arm: {seed: last-epoch validation accuracy}} of the finished runs."""
    out: dict[str, dict[int, float]] = {}
    for run in sorted(p for p in HERE.glob("*-s*") if p.is_dir()):
        arm, seed = run.name.rsplit("-s", 1)
        metrics = run / "metrics.json"
        if not metrics.is_file():
            print(f"{run.name}: not finished")
            continue
        rows = json.loads(metrics.read_text())["epochs"]
        out.setdefault(arm, {})[int(seed)] = rows[-1]["val_acc"]
    return out


def main() -> None:
    acc = final_accuracies()
    base = acc.get("default", {})
    for arm, by_seed in sorted(acc.items()):
        vals = [by_seed[s] * 100 for s in sorted(by_seed)]
        sd = f" ± {statistics.stdev(vals):.2f}" if len(vals) > 1 else ""
        print(f"{arm:>8}: " + ", ".join(f"s{s} {by_seed[s] * 100:.2f}" for s in sorted(by_seed))
              + f"  mean {statistics.mean(vals):.2f}{sd} % (validation, 5,000 images)")
    for arm, by_seed in sorted(acc.items()):
        seeds = sorted(set(by_seed) & set(base))
        if arm == "default" or not seeds:
            continue
        diff = [(by_seed[s] - base[s]) * 100 for s in seeds]
        line = (f"{arm} - default, paired over seeds {seeds}: "
                f"{statistics.mean(diff):+.2f} points")
        if len(seeds) > 1:
            t = ttest_rel([by_seed[s] for s in seeds], [base[s] for s in seeds],
                          alternative="greater")
            line += (f" (sd {statistics.stdev(diff):.2f}); paired t = {t.statistic:.2f}, "
                     f"df = {len(seeds) - 1}, one-sided p = {t.pvalue:.3g}")
        print(line)


if __name__ == "__main__":
    main()

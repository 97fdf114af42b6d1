"""The decision rule of README.md: bf16 runs (seed-*/metrics.json) against the committed
float32 runs (../long-budget-0.37mb/compare.json), Welch, one-sided 95 % lower bound."""

import json
import math
from pathlib import Path

from scipy import stats

from dse.records import RunResult

here = Path(__file__).parent
fp32 = json.loads((here.parent / "long-budget-0.37mb" / "compare.json").read_text())[
    "accuracies"]["hps-06-0.5x"]
runs = [RunResult.from_dict(json.loads((here / f"seed-{s}" / "metrics.json").read_text()))
        for s in range(3)]
assert all(r.split == "test" for r in runs)  # --val-size 0: the test set, every epoch
bf16 = [r.measurements["test_accuracy"] for r in runs]  # the last epoch's
m1, m2 = sum(bf16) / 3, sum(fp32) / 3
v1, v2 = stats.tvar(bf16) / 3, stats.tvar(fp32) / 3
df = (v1 + v2) ** 2 / (v1 ** 2 / 2 + v2 ** 2 / 2)
lower = (m1 - m2) - stats.t.ppf(0.95, df) * math.sqrt(v1 + v2)
print(f"bf16 {[round(100 * a, 2) for a in bf16]} mean {100 * m1:.2f} %; float32 "
      f"{[round(100 * a, 2) for a in fp32]} mean {100 * m2:.2f} %")
print(f"difference {100 * (m1 - m2):+.2f} points, Welch df {df:.1f}, one-sided 95 % lower "
      f"bound {100 * lower:+.2f} points: bf16 {'keeps' if lower > -0.005 else 'does not keep'}"
      f" accuracy (margin -0.5 points)")

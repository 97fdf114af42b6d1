"""The decision rule of README.md, from the runs' metrics (<arm>-s<seed>/metrics.json):
the last epoch's validation accuracy per arm and seed, paired differences against
`default` with a one-sided paired t-test, and the arm the frontier run uses."""

import json
import statistics
import sys
from pathlib import Path

from scipy import stats

from dse.records import RunResult

here = Path(__file__).parent
ARMS, SEEDS = ["default", "ta", "cutmix", "strong"], [0, 1]


def val(arm: str, seed: int) -> float:
    """The last epoch's validation accuracy of one run."""
    run = RunResult.from_dict(json.loads((here / f"{arm}-s{seed}" / "metrics.json").read_text()))
    if run.split != "val":
        sys.exit(f"{arm}-s{seed}: its accuracy is not on the validation split")
    return run.measurements["accuracy"]


acc = {a: [val(a, s) for s in SEEDS] for a in ARMS}
for a in ARMS:
    line = f"{a:8s} " + "  ".join(f"s{s} {100 * v:.2f}" for s, v in zip(SEEDS, acc[a], strict=True))
    line += f"  mean {100 * statistics.fmean(acc[a]):.2f} %"
    if a != "default":
        diff = [x - y for x, y in zip(acc[a], acc["default"], strict=True)]
        t = stats.ttest_rel(acc[a], acc["default"], alternative="greater")
        line += (f"  vs default {' '.join(f'{100 * d:+.2f}' for d in diff)} points, paired "
                 f"t-test one-sided p = {t.pvalue:.3g}")
    print(line)
eligible = ["default"] + [a for a in ARMS[1:]
                          if all(x > y for x, y in zip(acc[a], acc["default"], strict=True))]
chosen = max(eligible, key=lambda a: statistics.fmean(acc[a]))
print(f"chosen by the rule: {chosen} (arms leading default on both seeds: "
      f"{', '.join(eligible[1:]) or 'none'})")

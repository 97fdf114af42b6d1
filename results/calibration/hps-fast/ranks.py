"""Each candidate's reference accuracy and its rank at the proxy's epochs 8 and 16, and the
reference's median: the figures results/calibration/hps-fast/README.md quotes.

    python results/calibration/hps-fast/ranks.py
"""

import json
import statistics
from pathlib import Path

RUNS = Path(__file__).resolve().parent / "runs"


def curve(i: int, fidelity: str) -> list[float]:
    """Validation (proxy) or test (reference) accuracy by epoch of candidate i."""
    run = json.loads((RUNS / f"c{i:03d}-{fidelity}" / "result.json").read_text())
    return [e["val_acc"] for e in run["epochs"]]


def rank(values: dict[int, float], i: int) -> int:
    """1 for the highest value."""
    return sorted(values, key=lambda j: -values[j]).index(i) + 1


n = len({p.name.split("-")[0] for p in RUNS.iterdir()})
ref = {i: curve(i, "reference")[-1] for i in range(n)}
proxy = {i: curve(i, "proxy") for i in range(n)}
at8 = {i: c[7] for i, c in proxy.items()}
at16 = {i: c[15] for i, c in proxy.items()}
print("cand  reference  rank  proxy@8 rank  proxy@16 rank")
for i in sorted(ref, key=lambda j: -ref[j]):
    print(f"c{i:03d}  {ref[i]:8.2%}  {rank(ref, i):4d}  {at8[i]:7.2%} {rank(at8, i):4d}"
          f"  {at16[i]:8.2%} {rank(at16, i):4d}")
print(f"reference median {statistics.median(ref.values()):.2%}")

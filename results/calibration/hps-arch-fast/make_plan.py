"""Plan of the latency-bounded calibration of hps_arch_cifar10 reusing runs.

The first calibration (../hps-arch/) drew 20 candidates uniformly (seed 0) under `size_mb <=
0.37`; its heavy tail (stem stride 1, up to 32 M MACs, 8-21x hps-06-0.5x's predicted
latency) would have cost about 19 CPU-hours, most of it on networks that the proof study
(results/proof-0.37mb/) cannot pick (latency at most 1.1x hps-06-0.5x). This plan calibrates
the population that study searches: `size_mb <= 0.37` and `predicted_latency_ms <= 0.088`
(1.1x hps-06-0.5x's 0.0803 ms under the shipped profile). Rejection sampling keeps the draw
uniform: the first calibration's candidates that meet the bound (its 1, 2, 3, 15; their
finished runs are copied, not retrained), then fresh uniform draws (seed 1) under both
constraints until there are 20. Training seeds stay 0 (plan "seed"), as in the first.

Run once from the repository root: python results/calibration/hps-arch-fast/make_plan.py
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from dse import calibration, metrics
from dse.metrics import MeasureContext
from dse.models import build
from dse.search.census import canonical_key
from dse.search.space import load_space

OLD, NEW = Path("results/calibration/hps-arch"), Path("results/calibration/hps-arch-fast")
BOUND = "predicted_latency_ms <= 0.088"
SAMPLE = 20

old = json.loads((OLD / "plan.json").read_text())
space = load_space("hps_arch_cifar10").with_constraints(["size_mb <= 0.37", BOUND])
latency = metrics.get_metric("predicted_latency_ms")
kept = [i for i, c in enumerate(old["candidates"])
        if latency.measure(build(c["model"], 10), MeasureContext(1)) <= 0.088]
candidates = [old["candidates"][i] for i in kept]
seen = {canonical_key(c["model"]) for c in candidates}
for cand in calibration.draw(space, SAMPLE - len(kept) + 2, seed=1):
    if len(candidates) == SAMPLE:
        break
    if canonical_key(cand["model"]) not in seen:
        seen.add(canonical_key(cand["model"]))
        candidates.append(cand)
plan = {**old, "constraints": [str(c) for c in space.constraints], "sample": SAMPLE,
        "candidates": candidates,
        "command": ("dse fidelity check --space hps_arch_cifar10 --fidelity quick --fidelity "
                    "screen --fidelity proxy --reference-epochs 15 --sample 20 --constraint "
                    f"'size_mb <= 0.37' --constraint '{BOUND}' --out {NEW} --device cpu"),
        "drawn": f"candidates 0-{len(kept) - 1}: {OLD}'s {kept} (seed 0, kept by the bound); "
                 f"the rest drawn with seed 1 under both constraints (make_plan.py)"}
if (NEW / "plan.json").exists():
    sys.exit(f"{NEW / 'plan.json'} exists; not overwritten")
NEW.mkdir(parents=True, exist_ok=True)
(NEW / "plan.json").write_text(json.dumps(plan, indent=1))
for new_i, old_i in enumerate(kept):
    for fid in [*old["fidelities"], "reference"]:
        src = OLD / "runs" / f"c{old_i:03d}-{fid}" / "result.json"
        if src.is_file():
            dst = NEW / "runs" / f"c{new_i:03d}-{fid}"
            dst.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / "result.json")
print(f"kept {kept} of the first plan; {len(candidates)} candidates; plan in {NEW}")

"""Does the replay predict a real study? Run dse's default strategy for real on the grid.

Runs `dse run --space bench/replay/space.yaml` (TPE + successive halving, min_epochs 1,
eta 3; the same 2,000 training / 1,000 validation images and 20 epochs as the table) with
`--seed S` for S in 0..2 (the seed also draws the 2,000-image subset: seeds 1 and 2 see
other images than the table), each until its trials have trained `--budget` of the table's
compute (summed epoch times, as the replay counts them), then scores each study's
top-rung trials with the replay's hypervolume and prints them beside the replay's median
and interquartile range at the same budget (from bench/results/replay.json).

    python bench/replay/real_check.py [--budget 0.1] [--seeds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import grid  # noqa: E402
import replay  # noqa: E402
import strategies as S  # noqa: E402

from dse import pareto  # noqa: E402
from dse.store import Store  # noqa: E402

HERE = Path(__file__).parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=0.1)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--storage", default=f"sqlite:///{HERE / 'data' / 'real-check.db'}")
    args = ap.parse_args()
    table = S.Table(grid.load_table())
    scale = replay.scaler(table)
    best = pareto.hypervolume([scale(table.values(k, table.epochs)) for k in table.rows],
                              [1.1] * 3)
    budget_s = table.total_cost() * args.budget
    scores = []
    for seed in range(args.seeds):
        study = f"real-check-s{seed}"
        store = Store(args.storage)
        while _spent(store, study) < budget_s:  # one trial at a time until the budget is used
            subprocess.run([sys.executable, "-m", "dse.cli", "run", "--space",
                            str(HERE / "space.yaml"), "--study", study, "--seed", str(seed),
                            "--trials", "1", "--storage", args.storage, "--threads", "1",
                            "--log-format", "plain", "--quiet"], check=True)
        pts = [scale([r.measurements["accuracy"], r.measurements["size_mb"],
                      r.measurements["macs"]]) for r in store.trials(study)
               if r.status == "complete" and _spent(store, study, upto=r.number) <= budget_s]
        scores.append(pareto.hypervolume(pts, [1.1] * 3) / best if pts else 0.0)
    rep = json.loads((Path(replay.RESULTS) / "replay.json").read_text())
    i = min(range(len(rep["compute_fraction"])),
            key=lambda k: abs(rep["compute_fraction"][k] - args.budget))
    runs = [r[i] for r in rep["hypervolume_fraction"]["dse halving + TPE"]]
    q = statistics.quantiles(runs, n=4)
    print(f"budget {args.budget:.0%} of the table's compute ({budget_s / 3600:.2f} h)")
    print(f"real dse runs (seeds 0..{args.seeds - 1}): "
          + ", ".join(f"{s:.3f}" for s in scores))
    print(f"replay, dse halving + TPE: median {q[1]:.3f}, IQR {q[0]:.3f}-{q[2]:.3f}")


def _spent(store: Store, study: str, upto: int | None = None) -> float:
    """Seconds of training (summed epoch times) of a study's trials (up to trial `upto`)."""
    recs = [r for r in store.trials(study) if upto is None or r.number <= upto]
    return sum(e.epoch_s or 0.0 for e in store.epochs([r.id for r in recs])) if recs else 0.0


if __name__ == "__main__":
    main()

"""Does the replay predict a real study? Run dse's default strategy for real on the grid.

Runs `dse run --space bench/replay/space.yaml` (TPE + successive halving at dse's
defaults: min_epochs 2, eta 2, slack 0.12; the same 2,000 training / 1,000 validation
images and 20 epochs as the table) with
`--seed S` for S in 0..2 (the seed also draws the 2,000-image subset: seeds 1 and 2 see
other images than the table), two seeds at a time with one thread each (as the table was
recorded), each until its trials have trained `--budget` of the table's compute (summed
epoch times), then scores each study's top-rung trials with the replay's hypervolume and
prints them beside the replay's median and interquartile range at the same budget (from
bench/results/replay.json).

    python bench/replay/real_check.py [--budget 0.1] [--seeds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
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
    ap.add_argument("--jobs", type=int, default=2, help="seeds run at once (one thread each)")
    ap.add_argument("--chunk", type=int, default=8, help="trials per `dse run` call")
    ap.add_argument("--tag", default="", help="names the studies real-check-TAG-sN (a "
                    "re-run at other settings keeps the earlier studies)")
    ap.add_argument("--strategy", default="dse halving + TPE",
                    help="the replayed strategy the real runs are compared with")
    args = ap.parse_args()
    table = S.Table(grid.load_table())
    scale = replay.scaler(table)
    best = pareto.hypervolume([scale(table.values(k, table.epochs)) for k in table.rows],
                              [1.1] * 3)
    budget_s = table.total_cost() * args.budget
    with ThreadPoolExecutor(args.jobs) as pool:
        scores = list(pool.map(lambda s: _one_seed(s, budget_s, scale, best, args.chunk,
                                                   args.tag), range(args.seeds)))
    rep = json.loads((Path(replay.RESULTS) / "replay.json").read_text())
    i = min(range(len(rep["compute_fraction"])),
            key=lambda k: abs(rep["compute_fraction"][k] - args.budget))
    runs = [r[i] for r in rep["hypervolume_fraction"][args.strategy]]
    q = statistics.quantiles(runs, n=4)
    print(f"# {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} python "
          f"bench/replay/real_check.py --budget {args.budget} --seeds {args.seeds} "
          f"--jobs {args.jobs} --strategy '{args.strategy}'"
          + (f" --tag {args.tag}" if args.tag else ""))
    print(f"budget {args.budget:.0%} of the table's compute ({budget_s / 3600:.2f} h of "
          f"training, summed epoch times; {args.jobs} studies at once, one thread each)")
    for seed, (score, n, spent) in enumerate(scores):
        print(f"real dse run, seed {seed}: hypervolume fraction {score:.3f} "
              f"({n} trials within the budget, {spent / 3600:.2f} h trained)")
    print(f"replay, {args.strategy} at {rep['compute_fraction'][i]:.0%}: median "
          f"{q[1]:.3f}, IQR {q[0]:.3f}-{q[2]:.3f} over {len(runs)} seeds")


def _one_seed(seed: int, budget_s: float, scale, best: float, chunk: int, tag: str = ""
              ) -> tuple[float, int, float]:
    """Run dse on the grid space until `budget_s` of training; score its top-rung trials."""
    name = f"real-check-{tag}-s{seed}" if tag else f"real-check-s{seed}"
    storage = f"sqlite:///{HERE / 'data' / f'{name}.db'}"
    study, store = name, Store(storage)
    while _spent(store, study) < budget_s:  # a few trials per call until the budget is used
        subprocess.run([sys.executable, "-m", "dse.cli", "run", "--space",
                        str(HERE / "space.yaml"), "--study", study, "--seed", str(seed),
                        "--trials", str(chunk), "--storage", storage, "--workers", "1",
                        "--threads", "1",
                        "--no-baselines", "--log-format", "plain", "--quiet"],
                       check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    recs = store.trials(study)  # by number: the order they trained in (one worker)
    per_trial: dict[int, float] = {}
    for e in store.epochs([r.id for r in recs]):
        per_trial[e.trial_id] = per_trial.get(e.trial_id, 0.0) + (e.epoch_s or 0.0)
    within, spent = [], 0.0
    for r in recs:
        if spent + per_trial.get(r.id, 0.0) > budget_s:
            break
        spent += per_trial.get(r.id, 0.0)
        within.append(r)
    pts = [scale([r.measurements["accuracy"], r.measurements["size_mb"],
                  r.measurements["macs"]]) for r in within if r.status == "complete"]
    hv = pareto.hypervolume(pts, [1.1] * 3) / best if pts else 0.0
    return hv, len(within), spent


def _spent(store: Store, study: str) -> float:
    """Seconds of training (summed epoch times) of a study's trials."""
    recs = store.trials(study)
    return sum(e.epoch_s or 0.0 for e in store.epochs([r.id for r in recs])) if recs else 0.0


if __name__ == "__main__":
    main()

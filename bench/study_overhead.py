"""Share of a trial's wall time that is not training or evaluation.

Runs a real `hps_cifar10` study at the smoke fidelity in a temporary SQLite store and,
per trial, compares Optuna's trial duration with the engine's train + eval seconds. The
rest is sampling, model building, measurements (MACs, size, latency), storage writes
and checkpointing. The first trial also pays for reading CIFAR-10 and is reported apart.

    python bench/study_overhead.py [--trials 12] [--fidelity smoke|quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import optuna
from rich.console import Console

from dse import hardware
from dse.data import resolve_data_dir
from dse.search.space import load_space
from dse.search.study import run_study
from dse.store import Store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=12)
    ap.add_argument("--space", default="hps_cifar10")
    ap.add_argument("--fidelity", default="smoke")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    data_dir = str(resolve_data_dir(args.data_dir).resolve())  # before leaving the cwd
    tmp = Path(tempfile.mkdtemp(prefix="dse-overhead-"))
    os.chdir(tmp)
    url = f"sqlite:///{tmp}/dse.db"
    quiet = Console(file=open(os.devnull, "w"))  # noqa: SIM115
    study = run_study(load_space(args.space), "overhead", url, args.trials, None, args.fidelity,
                      "cpu", 0, data_dir, False, tmp / "artifacts", quiet)
    store = Store(url)
    recs = {r.number: r for r in store.trials("overhead")}
    rows = []
    for t in study.trials:
        rec = recs.get(t.number)
        if t.state != optuna.trial.TrialState.COMPLETE or rec is None or rec.reused_from:
            continue
        work = sum(e.epoch_s for e in store.epochs([rec.id]))
        wall = t.duration.total_seconds()
        rows.append((t.number, wall, work, 1 - work / wall))
    first, rest = rows[0], rows[1:]
    print(f"{args.space} at {args.fidelity} fidelity, {len(rows)} trained trials, CPU "
          f"{hardware.cpu_name()}, {hardware.describe()['torch_threads']} threads")
    print(f"first trial (reads CIFAR-10): wall {first[1]:.2f}s, train+eval {first[2]:.2f}s, "
          f"overhead {first[3]:.1%}")
    wall = statistics.median(r[1] for r in rest)
    work = statistics.median(r[2] for r in rest)
    share = statistics.median(r[3] for r in rest)
    total = 1 - sum(r[2] for r in rest) / sum(r[1] for r in rest)
    print(f"later trials: median wall {wall:.2f}s, train+eval {work:.2f}s, overhead median "
          f"{share:.1%}, max {max(r[3] for r in rest):.1%}, total {total:.1%}")


if __name__ == "__main__":
    main()

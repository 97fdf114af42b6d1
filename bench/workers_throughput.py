"""Study throughput on this machine: one worker with all cores against N workers with one
core each (`dse run --workers`), same workload, same wall time.

Every trial trains hps-06-0.5x at the `quick` fidelity of hps_cifar10 (3 epochs, 4,000
training and 1,000 validation images) with a different learning rate, so trials cost the
same and trials per hour compare the configurations, not the candidates.

    python bench/workers_throughput.py [--minutes 4] [--configs 1x2,2x1]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from dse import hardware

SPACE = textwrap.dedent("""
    name: throughput
    study: tp
    objectives: [accuracy, size_mb]
    sampler: random
    model: {name: hps-06-0.5x}
    training:
      optimizer: {sgd: {lr: {log: [0.01, 0.2]}, momentum: 0.9, nesterov: true}}
    fidelities:
      quick: {epochs: 3, train_images: 4000, val_images: 1000, latency_repeats: 10}
    default_fidelity: quick
""")


def measure(workers: int, threads: int, minutes: float, data_dir: str | None) -> float:
    """Trials finished per hour by `workers` x `threads`."""
    from dse.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="dse-workers-"))
    (tmp / "s.yaml").write_text(SPACE)
    cmd = [sys.executable, "-m", "dse.cli", "run", "--space", "s.yaml", "--timeout",
           f"{minutes * 60:.0f}", "--workers", str(workers), "--threads", str(threads),
           "--device", "cpu", "--log-format", "plain", "--quiet"]
    if data_dir:
        cmd += ["--data-dir", data_dir]
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=tmp, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    recs = Store(f"sqlite:///{tmp}/studies/dse.db", create=False).trials("tp")
    trained = [r for r in recs if r.status == "complete" and r.reused_from is None]
    return len(trained) / wall * 3600


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=4)
    ap.add_argument("--configs", default="1x2,2x1")
    args = ap.parse_args()
    data_dir = os.environ.get("DSE_DATA_DIR")
    print(f"hps-06-0.5x at quick fidelity, {args.minutes:g} min per configuration (the "
          f"timeout stops new trials; wall time includes the last trial); CPU "
          f"{hardware.cpu_name()}, {os.cpu_count()} cores")
    rates = {}
    for config in args.configs.split(","):
        w, t = (int(x) for x in config.split("x"))
        rates[config] = measure(w, t, args.minutes, data_dir)
        print(f"{w} worker(s) x {t} thread(s): {rates[config]:.0f} trials/hour")
    first = args.configs.split(",")[0]
    for config, rate in rates.items():
        print(f"{config} vs {first}: {rate / rates[first]:.2f}x")


if __name__ == "__main__":
    main()

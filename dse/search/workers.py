"""`dse run --workers N`: N local worker processes on one store, cores divided between them.

The parent opens the study (and enqueues the feasible start) once, then starts N children
that run the same study with `--workers 1`, their own seed and `--threads` cores each
(OMP_NUM_THREADS too, so no worker oversubscribes the machine), and prints their lines
prefixed with the worker's number. Ctrl-C or SIGTERM is passed on to every worker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

from dse import interrupts
from dse.errors import Interrupted
from dse.metrics import get_metric


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity (`taskset`, a container's or a
    test worker's pinning), not every core of the machine."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def auto_workers(metric_names: list[str], device: str, cores: int,
                 trials: int | None) -> tuple[int, str]:
    """`--workers auto`: one single-threaded worker per core, unless a timed metric is an
    objective or constraint (another worker on the cores would distort it) or the device
    is a GPU; returns (workers, why). 2 x 1 thread ran 1.16x the trials per hour of 1 x 2
    threads on 2 cores (bench/workers_throughput.py)."""

    timed = [m for m in metric_names if get_metric(m).timed]
    if timed:
        return 1, f"{', '.join(timed)} is timed, and a second worker would distort it"
    if device.startswith("cuda"):
        return 1, "one process per GPU"
    n = max(1, min(cores, trials or cores))
    return n, f"one single-threaded worker per core ({cores} cores)"


def split_trials(trials: int | None, workers: int) -> list[int | None]:
    """Trials per worker, summing to `trials` (None: each runs until the timeout)."""
    if trials is None:
        return [None] * workers
    return [trials // workers + (i < trials % workers) for i in range(workers)]


def child_args(base: list[str], trials: int | None, seed: int, threads: int) -> list[str]:
    """A worker's `dse run` arguments."""
    args = [*base, "--seed", str(seed), "--threads", str(threads), "--workers", "1",
            "--log-format", "plain"]
    return args + (["--trials", str(trials)] if trials is not None else [])


def run_workers(base: list[str], trials: int | None, workers: int, threads: int, seed: int,
                say) -> int:
    """Start the workers, relay their output, and return the worst exit code."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    interrupts.install()  # `kill -INT` reaches a `dse run --workers N &` as Ctrl-C would
    procs = []
    for i, n in enumerate(split_trials(trials, workers)):
        if n == 0:
            continue
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "dse.cli", "run", *child_args(base, n, seed + i, threads)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)))
    say(f"started {len(procs)} workers with {threads} thread(s) each")

    def pump(k: int, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            say(f"[w{k}] {line.rstrip()}")

    pumps = [threading.Thread(target=pump, args=(k, p), daemon=True)
             for k, p in enumerate(procs)]
    for t in pumps:
        t.start()
    try:
        codes = [p.wait() for p in procs]
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: every worker ends its trial
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait()
        for t in pumps:
            t.join(timeout=5)
        raise Interrupted(exc) from None
    for t in pumps:
        t.join(timeout=5)
    return max(codes, default=0)

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
    """Start the `dse run` workers, relay their output, and return the worst exit code."""
    return run_children([[["run", *child_args(base, n, seed + i, threads)]]
                         for i, n in enumerate(split_trials(trials, workers)) if n != 0],
                        threads, say)


def run_children(workers: list[list[list[str]]], threads: int, say, ended=None) -> int:
    """Run, for each worker, its `dse` command lines one after another in processes with
    `threads` torch threads, all workers at the same time; relay their lines prefixed
    `[wK]`; return the worst exit code (a worker stops at its first failing command).
    `ended(args, code)`, if given, is called as each command ends.
    Ctrl-C or SIGTERM is passed on to every running child, which ends its current work."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    interrupts.install()  # `kill -INT` reaches a `dse run --workers N &` as Ctrl-C would
    running: dict[int, subprocess.Popen] = {}
    codes = [0] * len(workers)
    stopping = threading.Event()

    def work(k: int, commands: list[list[str]]) -> None:
        for args in commands:
            if stopping.is_set():
                return
            proc = subprocess.Popen(
                [sys.executable, "-m", "dse.cli", *args], stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, env=env,
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
            running[k] = proc
            for line in proc.stdout:
                say(f"[w{k}] {line.rstrip()}")
            codes[k] = proc.wait()
            if ended is not None:
                ended(args, codes[k])
            if codes[k]:
                return

    threads_ = [threading.Thread(target=work, args=(k, c), daemon=True)
                for k, c in enumerate(workers)]
    say(f"started {len(threads_)} workers with {threads} thread(s) each")
    for t in threads_:
        t.start()
    try:
        while any(t.is_alive() for t in threads_):
            for t in threads_:
                t.join(timeout=0.5)
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: every worker ends its work
        stopping.set()
        for p in list(running.values()):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for t in threads_:
            t.join(timeout=60)
        raise Interrupted(exc) from None
    return max(codes, default=0)

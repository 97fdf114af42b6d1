"""Time every ONNX file of a folder in onnxruntime: the part of latency profiling that runs
on the target board. Needs only numpy and onnxruntime (no torch, no dse dependencies):

    python -m dse.deploy.timing FOLDER --out timings.json [--threads 1] [--rounds 3]

Each file is timed in turns with the others (`rounds` rounds; single stream, batch 1, a
warm-up, then at least `min_runs` queries and `min_seconds`), and its figure is the median
over rounds of the per-round medians. The JSON records runtime, threads, batch and CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np


def _session(path: Path, threads: int):
    # lazy: onnxruntime only when a model runs
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = threads
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def _median_ms(run, min_runs: int, min_seconds: float, warmup: int = 10) -> float:
    for _ in range(warmup):
        run()
    times, start = [], time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def time_folder(folder: Path, threads: int = 1, rounds: int = 3, min_runs: int = 200,
                min_seconds: float = 0.5, progress=None) -> dict:
    """{"files": {name: median ms}, ...facts} for every *.onnx file in `folder`."""
    # lazy: onnxruntime only when a model runs
    import onnxruntime as ort

    files = sorted(Path(folder).glob("*.onnx"))
    runs = {}
    for path in files:
        sess = _session(path, threads)
        inp = sess.get_inputs()[0]
        side = int(inp.shape[-1])
        x = np.random.default_rng(0).standard_normal((1, 3, side, side), np.float32)
        runs[path.name] = (lambda s, n, a: lambda: s.run(None, {n: a}))(sess, inp.name, x)
    per_round: dict[str, list[float]] = {name: [] for name in runs}
    for r in range(rounds):
        for i, (name, run) in enumerate(runs.items()):
            per_round[name].append(_median_ms(run, min_runs, min_seconds))
            if progress:
                progress(r * len(runs) + i + 1, rounds * len(runs))
    return {"runtime": f"onnxruntime {ort.__version__}", "threads": threads, "batch": 1,
            "rounds": rounds, "min_runs": min_runs, "min_seconds": min_seconds,
            "cpu": _cpu(), "machine": platform.machine(), "cpu_count": os.cpu_count(),
            "files": {name: statistics.median(v) for name, v in per_round.items()}}


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:  # noqa: D103
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    result = time_folder(args.folder, args.threads, args.rounds)
    args.out.write_text(json.dumps(result, indent=1))
    print(f"timed {len(result['files'])} files -> {args.out}")


if __name__ == "__main__":
    main()

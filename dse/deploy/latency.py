"""Latency in the spirit of MLPerf's single-stream scenario: one query at a time, warm-up,
then at least `min_runs` queries and at least `min_seconds`; median and p90 reported with
the thread count and batch size that produced them."""

from __future__ import annotations

import contextlib
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from dse.deploy.ort import session
from dse.errors import ConfigError

MIN_RUNS, MIN_SECONDS, WARMUP = 200, 2.0, 10


@dataclass
class Latency:
    """One latency measurement, in milliseconds."""

    runtime: str
    threads: int
    batch: int
    runs: int
    median_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float

    def to_dict(self) -> dict:
        """Plain-data form."""
        return asdict(self)

    def line(self) -> str:
        """'onnxruntime, 1 thread, batch 1: median 0.41 ms, p90 0.44 ms (1,234 runs)'."""
        return (f"{self.runtime}, {self.threads} thread{'s' * (self.threads != 1)}, batch "
                f"{self.batch}: median {self.median_ms:.3f} ms, p90 {self.p90_ms:.3f} ms, "
                f"p99 {self.p99_ms:.3f} ms ({self.runs:,} runs)")


def measure(run: Callable[[np.ndarray], object], x: np.ndarray, runtime: str, threads: int,
            min_runs: int = MIN_RUNS, min_seconds: float = MIN_SECONDS,
            warmup: int = WARMUP) -> Latency:
    """Time `run(x)` one query at a time after `warmup` queries."""
    for _ in range(warmup):
        run(x)
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        run(x)
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()

    def pct(q: float) -> float:
        return times[min(len(times) - 1, int(q * len(times)))]

    return Latency(runtime, threads, int(x.shape[0]), len(times), statistics.median(times),
                   pct(0.9), pct(0.99), statistics.fmean(times))


def torch_runner(model, threads: int):
    """A function numpy batch -> logits running `model` on the CPU with `threads` threads."""
    # lazy: `dse deploy run` needs only numpy + onnxruntime
    import torch

    torch.set_num_threads(threads)
    model = model.float().cpu().eval()

    def run(x: np.ndarray):
        with torch.inference_mode():
            return model(torch.from_numpy(x)).numpy()
    return run


def time_onnx(path, threads: int = 1, batch: int = 1, min_runs: int = MIN_RUNS,
              min_seconds: float = MIN_SECONDS) -> Latency:
    """Latency of an exported ONNX file on onnxruntime (random input of its shape)."""
    sess = session(path, threads)
    inp = sess.get_inputs()[0]
    size = inp.shape[2] if isinstance(inp.shape[2], int) else 32
    x = np.random.default_rng(0).standard_normal((batch, 3, size, size), dtype=np.float32)
    return measure(lambda b: sess.run(None, {inp.name: b}), x, "onnxruntime", threads,
                   min_runs, min_seconds)


def time_model(model, runtime: str = "torch", int8: bool = False, threads: int = 1,
               batch: int = 1, min_runs: int = MIN_RUNS, min_seconds: float = MIN_SECONDS
               ) -> Latency:
    """Latency of a PyTorch model on torch, or on onnxruntime after a temporary export
    (int8: quantised with random calibration inputs, which does not change the timing)."""

    # lazy: `dse deploy run` needs only numpy + onnxruntime
    import torch

    # lazy: torch/onnx: `dse deploy run` needs only numpy + onnxruntime
    from dse.models import input_channels, input_size

    size, c = input_size(model), input_channels(model)
    x = np.random.default_rng(0).standard_normal((batch, c, size, size), dtype=np.float32)
    if runtime == "torch":
        if int8:
            raise ConfigError("--int8 is timed on onnxruntime: add --runtime onnxruntime.")
        old = torch.get_num_threads()
        try:
            return measure(torch_runner(model, threads), x, "torch", threads, min_runs,
                           min_seconds)
        finally:
            torch.set_num_threads(old)
    with tempfile.TemporaryDirectory() as tmp:
        path = export_onnx_quietly(model, Path(tmp) / "m.onnx")
        if int8:
            # lazy: torch/onnx: `dse deploy run` needs only numpy + onnxruntime
            from dse.deploy.quantize import quantize_int8

            calib = np.random.default_rng(1).standard_normal((64, c, size, size),
                                                             dtype=np.float32)
            quantize_int8(path, Path(tmp) / "q.onnx", calib)
            path = Path(tmp) / "q.onnx"
        out = time_onnx(path, threads, batch, min_runs, min_seconds)
    if int8:
        out.runtime = "onnxruntime int8"
    return out


def export_onnx_quietly(model, path):
    """A plain float32 ONNX export (no verification), for timing."""

    # lazy: `dse deploy run` needs only numpy + onnxruntime
    import torch

    # lazy: torch/onnx: `dse deploy run` needs only numpy + onnxruntime
    from dse.deploy.exporters import get_exporter
    from dse.models import input_channels, input_size

    size = input_size(model)
    example = torch.zeros(1, input_channels(model), size, size)
    with contextlib.redirect_stdout(io.StringIO()):
        get_exporter("onnx").export(model.float().cpu().eval(), example, path, {})
    return path


def side_by_side(paths: list, rounds: int = 5, threads: int = 1, min_runs: int = MIN_RUNS,
                 min_seconds: float = MIN_SECONDS) -> list[list[Latency]]:
    """Time ONNX files in turn, `rounds` times each (A, B, A, B, ...), so that a change in
    the machine's load touches all of them alike; per file, its rounds."""
    out: list[list[Latency]] = [[] for _ in paths]
    for _ in range(rounds):
        for i, path in enumerate(paths):
            out[i].append(time_onnx(path, threads, 1, min_runs, min_seconds))
    return out

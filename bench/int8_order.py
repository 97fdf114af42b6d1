"""Which layer order to deploy in int8: float32 vs int8 onnxruntime latency and file size
for each model in both orders, side by side in one process.

"conv-act-bn" (HPS) puts BatchNorm after the activation, where it cannot fold into the
convolution; "conv-bn-act" (SqueezeNext) lets onnxruntime fold it. Weights are random
(latency does not depend on their values); int8 is calibrated on 64 random images. The
four sessions of a model are timed in turns (`--rounds` rounds of MLPerf-style single
stream, 1 thread, batch 1), and each figure is the median over rounds of the medians.

    python bench/int8_order.py [--model hps-06-0.5x --model hps-06-1x ...] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import numpy as np
import torch

from dse import hardware, models
from dse.deploy.exporters import get_exporter
from dse.deploy.latency import measure
from dse.deploy.ort import session
from dse.deploy.quantize import quantize_int8

ORDERS = ("conv-act-bn", "conv-bn-act")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", action="append", help="registered model (repeatable)")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    names = args.model or ["hps-06-0.5x", "hps-06-1x", "hps-21-1x-v3"]
    torch.manual_seed(0)
    print(f"# int8 vs float32 by layer order; onnxruntime, 1 thread, batch 1; "
          f"{args.rounds} rounds interleaved; {hardware.describe()}")
    print("| model | order | float32 MB | int8 MB | int8/float32 size | float32 ms | "
          "int8 ms | int8/float32 latency |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            runs, sizes = {}, {}
            for order in ORDERS:
                m = models.create(name, order=order).eval()
                side = models.input_size(m)
                x = torch.randn(2, 3, side, side)
                fp = Path(tmp) / f"{name}-{order}.onnx"
                q = Path(tmp) / f"{name}-{order}.int8.onnx"
                get_exporter("onnx").export(m, x, fp, {})
                quantize_int8(fp, q, np.random.RandomState(0).randn(64, 3, side, side)
                              .astype(np.float32))
                for kind, path in (("float32", fp), ("int8", q)):
                    sess = session(path, 1)
                    inp = sess.get_inputs()[0].name
                    runs[order, kind] = (lambda s, n: lambda a: s.run(None, {n: a}))(sess, inp)
                    sizes[order, kind] = path.stat().st_size / 1e6
            one = np.random.RandomState(1).randn(1, 3, side, side).astype(np.float32)
            times: dict = {k: [] for k in runs}
            for _ in range(args.rounds):
                for key, run in runs.items():
                    times[key].append(measure(run, one, "onnxruntime", 1, min_runs=200,
                                              min_seconds=1.0).median_ms)
            for order in ORDERS:
                f, i = (statistics.median(times[order, k]) for k in ("float32", "int8"))
                sf, si = sizes[order, "float32"], sizes[order, "int8"]
                print(f"| {name} | {order} | {sf:.3f} | {si:.3f} | {si / sf:.2f} | {f:.3f} | "
                      f"{i:.3f} | {i / f:.2f} |", flush=True)


if __name__ == "__main__":
    main()

"""Record the replay table: train every grid point once, keep its learning curve.

Resumable and shardable: each finished point is appended (one JSON line, flushed) to
`data/curves-<shard>.jsonl`, and points already in any shard file are skipped, so the job
can be stopped at any time and run again. Two shards with one thread each use both cores:

    nohup python bench/replay/record.py --shard 0/2 > bench/replay/data/record-0.log 2>&1 &
    nohup python bench/replay/record.py --shard 1/2 > bench/replay/data/record-1.log 2>&1 &

When one shard finishes first, `--shard 1/2 --reverse` starts on the other one from its end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import grid  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shard", default="0/1", help="i/n: record every n-th point from i")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--limit", type=int, default=None, help="stop after N points (checks)")
    ap.add_argument("--epochs", type=int, default=grid.EPOCHS, help="(checks only)")
    ap.add_argument("--data", type=Path, default=grid.DATA, help="table folder")
    ap.add_argument("--reverse", action="store_true", help="take the shard's points from its "
                    "end, into curves-<i>r.jsonl: a second recorder for a shard behind")
    args = ap.parse_args()
    i, n = (int(x) for x in args.shard.split("/"))
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch

    from dse import hardware, metrics
    from dse.metrics import MeasureContext
    from dse.train.engine import fit, seed_everything
    from dse.train.job import DataPlan, build_model, prepare_data
    from dse.train.recipe import DEFAULT_RECIPE

    torch.set_num_threads(args.threads)
    args.data.mkdir(parents=True, exist_ok=True)
    out = args.data / f"curves-{i}{'r' if args.reverse else ''}.jsonl"
    done = set(grid.load_table(args.data))
    todo = [p for k, p in enumerate(grid.points()) if k % n == i and grid.key(p) not in done]
    todo = todo[::-1] if args.reverse else todo
    print(f"shard {i}/{n}: {len(todo)} points to record, {len(done)} recorded", flush=True)
    plan = DataPlan("cifar10", val_size=5000, subset=grid.TRAIN_IMAGES,
                    val_subset=grid.VAL_IMAGES, seed=0)
    cfg = replace(DEFAULT_RECIPE, epochs=args.epochs, seed=0)
    hw = hardware.describe(torch.device("cpu"))
    for point in todo[:args.limit]:
        if grid.key(point) in grid.load_table(args.data):  # another recorder got there first
            continue
        t0 = time.time()
        seed_everything(0)
        model = build_model(grid.spec(point), "cifar10")
        train, val, _ = prepare_data(plan, model.dse_config.input_size, None, False,
                                     test=False)
        history = fit(model, train, val, cfg, "cifar10", "cpu")
        arch = metrics.measure_architecture(model, MeasureContext(20), skip={"ort_latency_ms",
                                            "ort_int8_latency_ms"})
        row = {"key": grid.key(point), "point": point, "spec": grid.spec(point),
               "val_acc": [h["val_acc"] for h in history],
               "val_loss": [h["val_loss"] for h in history],
               "epoch_s": [h["epoch_s"] for h in history],
               **{k: arch[k] for k in ("size_mb", "params", "macs", "latency_ms") if k in arch},
               "train_images": len(train), "val_images": len(val), "epochs": args.epochs,
               "threads": args.threads, "hardware": hw["cpu"],
               "recorded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        with out.open("a") as f:
            f.write(json.dumps(row) + "\n")
            f.flush()
            os.fsync(f.fileno())
        print(f"{row['key']}: val_acc {row['val_acc'][-1]:.3f} size {row['size_mb']:.3f} MB "
              f"{time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()

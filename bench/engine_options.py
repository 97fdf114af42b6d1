"""CPU engine choices measured side by side: channels_last or not, evaluation batch size.

Interleaves the variants (A, B, A, B, ...) and prints medians and ratios, so that the
engine keeps only what the numbers justify.

    python bench/engine_options.py --model hps-21-1x-v3 [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from dse import hardware
from dse.data import Batches, Split, load_cifar
from dse.models import create
from dse.train.engine import evaluate, train_epoch
from dse.train.optim import make_optimizer, make_scheduler


def train_speed(model, split: Split, channels_last: bool, steps: int) -> float:
    sub = Split(split.images[: 128 * steps], split.labels[: 128 * steps])
    model.to(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    b = Batches(sub, "cifar10", 128, torch.device("cpu"), True, channels_last=channels_last)
    opt = make_optimizer("sgd", model.parameters(), 0.05, 5e-4, momentum=0.9, nesterov=True)
    row = train_epoch(model, b, opt, make_scheduler("constant", opt, 1, len(b)),
                      nn.CrossEntropyLoss(), 0)
    return row["train_images_per_s"]


def eval_speed(model, split: Split, batch: int) -> float:
    b = Batches(split, "cifar10", batch, torch.device("cpu"), False)
    t0 = time.perf_counter()
    evaluate(model, b)
    return len(split) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="hps-06-0.5x")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    train, test = load_cifar("cifar10", args.data_dir)
    evalset = Split(test.images[:2000], test.labels[:2000])
    model = create(args.model)
    res: dict[str, list[float]] = {k: [] for k in ("nchw", "channels_last", "eval256",
                                                   "eval1000")}
    train_speed(model, train, False, 2)
    train_speed(model, train, True, 2)
    for _ in range(args.rounds):
        res["nchw"].append(train_speed(model, train, False, args.steps))
        res["channels_last"].append(train_speed(model, train, True, args.steps))
        model.to(memory_format=torch.contiguous_format)
        res["eval256"].append(eval_speed(model, evalset, 256))
        res["eval1000"].append(eval_speed(model, evalset, 1000))
    med = {k: statistics.median(v) for k, v in res.items()}
    print(f"model {args.model}, CPU {hardware.cpu_name()}, {torch.get_num_threads()} threads, "
          f"{args.rounds} interleaved rounds")
    print(f"train img/s: NCHW {med['nchw']:.0f} | channels_last {med['channels_last']:.0f} "
          f"| ratio channels_last/NCHW {med['channels_last'] / med['nchw']:.2f}x")
    print(f"eval img/s: batch 256 {med['eval256']:.0f} | batch 1000 {med['eval1000']:.0f} | "
          f"ratio 1000/256 {med['eval1000'] / med['eval256']:.2f}x")


if __name__ == "__main__":
    main()

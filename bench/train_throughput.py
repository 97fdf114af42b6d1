"""Training images per second: dse's engine vs the usual PyTorch loop vs the compute bound.

(a) dse: the engine's `train_epoch` over in-memory uint8 batches with batched crop/flip,
    channels_last as `fit` uses it; `--compile` and `--precision bf16` add the engine's
    other choices (a compiled training step, bfloat16 autocast).
(b) reference: torchvision's CIFAR10 data set, RandomCrop(32, 4) + RandomHorizontalFlip +
    ToTensor + Normalize per image, a DataLoader with workers, the same model, SGD Nesterov.
(c) compute bound: forward, backward and SGD step on one channels_last batch already on
    the device.
Measurements are interleaved (a, b, c, a, b, c, ...); medians and ratios are printed.

    python bench/train_throughput.py --model hps-06-0.5x [--device cpu|cuda] [--rounds 5]
        [--compile] [--precision bf16]
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torchvision
import torchvision.transforms as T
from torch import nn

from dse import hardware
from dse.data import Batches, Split, load_cifar
from dse.data.registry import KNOWN_STATS
from dse.models import create
from dse.train import resolve_device
from dse.train.engine import train_epoch
from dse.train.optim import make_optimizer, make_scheduler
from dse.train.precision import autocast


class _CIFAR10(torchvision.datasets.CIFAR10):
    """torchvision's CIFAR10 reading the python layout written below (md5 checks skipped,
    since the files are re-pickled from the binary release; images and labels are equal)."""

    def _check_integrity(self) -> bool:
        return True

    def _load_meta(self) -> None:
        self.classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                        "horse", "ship", "truck"]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}


def write_python_layout(train: Split, root: Path) -> None:
    """The training images as cifar-10-batches-py, the layout torchvision reads."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    n = len(train)
    for i in range(5):
        sl = slice(i * n // 5, (i + 1) * n // 5)
        with open(folder / f"data_batch_{i + 1}", "wb") as f:
            pickle.dump({"data": train.images[sl].reshape(-1, 3072).numpy(),
                         "labels": train.labels[sl].tolist()}, f)
    with open(folder / "test_batch", "wb") as f:
        pickle.dump({"data": train.images[:10].reshape(-1, 3072).numpy(),
                     "labels": train.labels[:10].tolist()}, f)


def sgd(model):
    return make_optimizer("sgd", model.parameters(), 0.05, 5e-4, momentum=0.9, nesterov=True)


def run_dse(model, split: Split, device, batch: int, steps: int, bf16: bool = False,
            step_model=None) -> float:
    sub = Split(split.images[: batch * steps], split.labels[: batch * steps])
    batches = Batches(sub, "cifar10", batch, device, train=True, augment=True,
                      channels_last=True)  # as dse.train.fit does
    opt = sgd(model)
    sched = make_scheduler("constant", opt, 1, len(batches))
    row = train_epoch(model, batches, opt, sched, nn.CrossEntropyLoss(), 0, bf16=bf16,
                      step_model=step_model)
    return row["train_images_per_s"]


def run_reference(model, loader_iter, device, steps: int) -> float:
    opt, crit = sgd(model), nn.CrossEntropyLoss()
    model.train()
    seen, t0 = 0, time.perf_counter()
    for _ in range(steps):
        x, y = next(loader_iter)
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with autocast(device):
            loss = crit(model(x).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        seen += len(y)
    loss.item()
    return seen / (time.perf_counter() - t0)


def run_bound(model, device, batch: int, steps: int, bf16: bool = False) -> float:
    opt, crit = sgd(model), nn.CrossEntropyLoss()
    x = torch.randn(batch, 3, 32, 32, device=device).contiguous(
        memory_format=torch.channels_last)  # the engine's layout
    y = torch.randint(0, 10, (batch,), device=device)
    model.train()
    t0 = time.perf_counter()
    for _ in range(steps):
        with autocast(device, bf16):
            loss = crit(model(x).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    loss.item()
    return batch * steps / (time.perf_counter() - t0)


def forever(loader):
    while True:
        yield from loader


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="hps-06-0.5x")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20, help="batches per measurement")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                    help="dse's and the bound's forward pass (the reference stays float32)")
    ap.add_argument("--compile", action="store_true",
                    help="dse's training step through torch.compile, as the engine runs "
                         "long trainings where it pays (its compile time is not timed)")
    args = ap.parse_args()
    bf16 = args.precision == "bf16"
    device = resolve_device(args.device)
    torch.manual_seed(0)
    train, _ = load_cifar("cifar10", args.data_dir)
    mean, std = KNOWN_STATS["cifar10"]
    tmp = Path(tempfile.mkdtemp(prefix="dse-bench-"))
    write_python_layout(train, tmp)
    ref_set = _CIFAR10(str(tmp), train=True, download=False, transform=T.Compose([
        T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
        T.Normalize(mean, std)]))
    loader = torch.utils.data.DataLoader(ref_set, batch_size=args.batch, shuffle=True,
                                         num_workers=args.workers, drop_last=True,
                                         persistent_workers=args.workers > 0,
                                         pin_memory=device.type == "cuda")
    it = forever(loader)
    models = {k: create(args.model).to(device) for k in "abc"}
    for k in "ac":  # dse and the bound in the engine's layout; the reference as usual (NCHW)
        models[k].to(memory_format=torch.channels_last)
    step = torch.compile(models["a"]) if args.compile else None
    # warm-up each path once (allocator, oneDNN/cuDNN kernels, loader workers, compiling)
    run_dse(models["a"], train, device, args.batch, 3, bf16, step)
    run_reference(models["b"], it, device, 3)
    run_bound(models["c"], device, args.batch, 3, bf16)
    res = {"a": [], "b": [], "c": []}
    for r in range(args.rounds):
        res["a"].append(run_dse(models["a"], train, device, args.batch, args.steps, bf16,
                                step))
        res["b"].append(run_reference(models["b"], it, device, args.steps))
        res["c"].append(run_bound(models["c"], device, args.batch, args.steps, bf16))
        print(f"round {r + 1}: dse {res['a'][-1]:.0f}  reference {res['b'][-1]:.0f}  "
              f"bound {res['c'][-1]:.0f} img/s", file=sys.stderr)
    med = {k: statistics.median(v) for k, v in res.items()}
    hw = hardware.describe(device)
    print(f"model {args.model}, device {device} ({hw.get('gpu', hw['cpu'])}, "
          f"{hw['torch_threads']} torch threads, {args.workers} loader workers), batch "
          f"{args.batch}, {args.rounds} interleaved rounds of {args.steps} batches, torch "
          f"{hw['torch']}, dse precision {args.precision}"
          f"{', dse compiled' if args.compile else ''}; CPU flags "
          f"{' '.join(hw['cpu_flags']) or 'unknown'}")
    print(f"median images/s: dse {med['a']:.0f} | reference {med['b']:.0f} | compute bound "
          f"{med['c']:.0f}")
    print(f"ratios: dse/reference = {med['a'] / med['b']:.2f}x   dse/bound = "
          f"{med['a'] / med['c']:.2f}x")


if __name__ == "__main__":
    main()

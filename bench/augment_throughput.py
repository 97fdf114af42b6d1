"""The data path's speed with each recipe option, beside a training step's: can an option
make CPU training data-bound?

Iterates the training batches of N CIFAR-10 images (batch 128, crops and flips) with no
option, with TrivialAugment, with random erasing, with mixup and with cutmix (the mixing as
the engine applies it), interleaved in rounds; prints the median images/s of each, and
the training speed of hps-06-0.5x (forward, backward, SGD step; the same threads) for
scale.

    python bench/augment_throughput.py [--images 10000] [--rounds 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from dse import hardware
from dse.data import Batches, Split, load_cifar
from dse.models import create
from dse.train.mixing import Mixer

OPTIONS = {"crop+flip": {}, "+ trivialaugment": {"policy": "trivialaugment"},
           "+ erasing 0.5": {"erasing": 0.5}, "+ mixup": {"mix": "mixup"},
           "+ cutmix": {"mix": "cutmix"}}


def data_speed(split: Split, option: dict) -> float:
    """Images/s of one epoch of the data path with `option`."""
    batches = Batches(split, "cifar10", 128, torch.device("cpu"), True, seed=0,
                      channels_last=True, erasing=option.get("erasing", 0.0),
                      policy=option.get("policy", "none"))
    mixer = Mixer(option["mix"], 1.0, 0.0, 1) if "mix" in option else None
    gen = mixer.generator(0) if mixer else None
    t0, n = time.perf_counter(), 0
    for x, y in batches:
        if mixer is not None:
            mixer(x, y, 0, gen)
        n += len(y)
    return n / (time.perf_counter() - t0)


def train_speed(split: Split, steps: int = 20) -> float:
    """Images/s of hps-06-0.5x's training step on prepared batches."""
    model = create("hps-06-0.5x").to(memory_format=torch.channels_last).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    batches = list(Batches(split, "cifar10", 128, torch.device("cpu"), True,
                           channels_last=True))[:steps]
    t0 = time.perf_counter()
    for x, y in batches:
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return len(batches) * 128 / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    train, _ = load_cifar("cifar10", args.data_dir)
    split = Split(train.images[:args.images], train.labels[:args.images])
    speeds: dict[str, list[float]] = {k: [] for k in OPTIONS}
    for _ in range(args.rounds):
        for name, option in OPTIONS.items():
            speeds[name].append(data_speed(split, option))
    step = train_speed(split)
    print(f"# {hardware.cpu_name()} (flags: {', '.join(hardware.cpu_flags()) or 'none'}), "
          f"{args.threads} thread(s), {args.images:,} images, medians of {args.rounds} rounds")
    print(f"hps-06-0.5x training step: {step:,.0f} img/s")
    for name, xs in speeds.items():
        med = statistics.median(xs)
        print(f"data path {name:>14}: {med:>9,.0f} img/s ({med / step:.0f}x the training step)")


if __name__ == "__main__":
    main()

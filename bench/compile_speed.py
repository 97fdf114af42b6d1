"""Does `torch.compile` of the model pay for a training run on this CPU, and from how long?

Measures, side by side in one process, the compile time (first compiled epoch minus an
eager one) and the steady training speed of the eager and compiled model on real CIFAR-10
batches, interleaved (eager, compiled, eager, ...), then prints the break-even: the number
of training images after which compiling has saved its own cost.

    python bench/compile_speed.py --model hps-06-0.5x [--steps 60] [--rounds 3]
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
from dse.train.engine import train_epoch
from dse.train.optim import make_optimizer, make_scheduler


def epoch_speed(model, split: Split, steps: int) -> tuple[float, float]:
    """(seconds, images/s) of one pass over `steps` batches of 128."""
    sub = Split(split.images[: 128 * steps], split.labels[: 128 * steps])
    b = Batches(sub, "cifar10", 128, torch.device("cpu"), True, channels_last=True)
    opt = make_optimizer("sgd", model.parameters(), 0.05, 5e-4, momentum=0.9, nesterov=True)
    t0 = time.perf_counter()
    row = train_epoch(model, b, opt, make_scheduler("constant", opt, 1, len(b)),
                      nn.CrossEntropyLoss(), 0)
    return time.perf_counter() - t0, row["train_images_per_s"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="hps-06-0.5x")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    train, _ = load_cifar("cifar10")
    eager = create(args.model).to(memory_format=torch.channels_last)
    compiled_base = create(args.model).to(memory_format=torch.channels_last)
    compiled = torch.compile(compiled_base)
    first_eager, _ = epoch_speed(eager, train, args.steps)
    first_compiled, _ = epoch_speed(compiled, train, args.steps)  # includes compilation
    speeds = {"eager": [], "compiled": []}
    for _ in range(args.rounds):
        speeds["eager"].append(epoch_speed(eager, train, args.steps)[1])
        speeds["compiled"].append(epoch_speed(compiled, train, args.steps)[1])
    e, c = (statistics.median(speeds[k]) for k in ("eager", "compiled"))
    compile_s = first_compiled - first_eager
    saved_per_image = 1 / e - 1 / c
    print(f"# {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} python "
          f"bench/compile_speed.py --model {args.model} --steps {args.steps} "
          f"--rounds {args.rounds}")
    print(f"model {args.model}, CPU {hardware.cpu_name()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}, batches of 128 (channels_last, augmented)")
    print(f"train img/s (median of {args.rounds}): eager {e:.0f} | compiled {c:.0f} | "
          f"ratio {c / e:.2f}x")
    print(f"compile time (first compiled pass minus an eager one): {compile_s:.1f} s")
    if saved_per_image > 0:
        print(f"break-even: {compile_s / saved_per_image:,.0f} training images "
              f"({compile_s / saved_per_image / 50000:.1f} epochs of the whole CIFAR set)")
    else:
        print("break-even: never (compiled is not faster)")


if __name__ == "__main__":
    main()

"""Does `torch.compile` of the model pay for a training run on this CPU, and from how long?

Measures, side by side in one process, the compile time (first compiled epoch minus an
eager one) and the steady training speed of the eager and compiled model on real CIFAR-10
batches, interleaved (eager, compiled, eager, ...), then prints the break-even: the number
of training images after which compiling has saved its own cost.

(SGD at learning rate 0.01: the speed does not depend on it, and the ELU model diverged
at 0.05 over the repeated passes.)

    python bench/compile_speed.py --model hps-06-0.5x [--steps 60] [--rounds 3]
    python bench/compile_speed.py --model hps --model-arg blocks=[1,5,1,1] \
        --model-arg width=0.75 --model-arg activation=elu --model-arg dropout=0.3
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

# a cold compile, as a user's first run has it (not TorchInductor's cache of earlier runs)
os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", tempfile.mkdtemp(prefix="dse-inductor-"))

import torch
import yaml
from torch import nn

from dse import hardware
from dse.data import Batches, Split, load_cifar
from dse.models import build, model_spec
from dse.report.data import summary
from dse.train.compiling import check
from dse.train.engine import Diverged, train_epoch
from dse.train.optim import make_optimizer, make_scheduler


def epoch_speed(model, split: Split, steps: int) -> tuple[float, float]:
    """(seconds, images/s) of one pass over `steps` batches of 128."""
    sub = Split(split.images[: 128 * steps], split.labels[: 128 * steps])
    b = Batches(sub, "cifar10", 128, torch.device("cpu"), True, channels_last=True)
    opt = make_optimizer("sgd", model.parameters(), 0.01, 5e-4, momentum=0.9, nesterov=True)
    t0 = time.perf_counter()
    row = train_epoch(model, b, opt, make_scheduler("constant", opt, 1, len(b)),
                      nn.CrossEntropyLoss(), 0)
    return time.perf_counter() - t0, row["train_images_per_s"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="hps-06-0.5x")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--model-arg", action="append", default=[],
                    help="a dimension of the model's family, KEY=VALUE (repeatable)")
    ap.add_argument("--probes", type=int, default=1,
                    help="run dse.train.compiling.check this many times (its timing's spread)")
    ap.add_argument("--probe-only", action="store_true", help="skip the timed passes")
    args = ap.parse_args()
    spec = model_spec(args.model, **{k: yaml.safe_load(v) for k, v in
                                     (a.split("=", 1) for a in args.model_arg)})
    train, _ = load_cifar("cifar10")
    print(f"# {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} python "
          f"bench/compile_speed.py --model {args.model} --steps {args.steps} "
          f"--rounds {args.rounds} --probes {args.probes}"
          + " --probe-only" * args.probe_only
          + "".join(f" --model-arg {a}" for a in args.model_arg))
    print(f"model {summary({'model': spec})}, CPU {hardware.cpu_name()}, "
          f"{torch.get_num_threads()} threads, "
          f"torch {torch.__version__}, batches of 128 (channels_last, augmented)")
    if not args.probe_only:
        try:
            timing(spec, train, args.steps, args.rounds)
        except Diverged as exc:
            print(f"compiled training diverged ({exc}); eager training did not")
    b = Batches(train, "cifar10", 128, torch.device("cpu"), train=False, channels_last=True)
    x, y = next(iter(b))
    for _ in range(args.probes):
        problem, speedup = check(build(spec).to(memory_format=torch.channels_last), x, y)
        print("dse.train.compiling.check (what --compile auto runs): " + (
            f"right; a compiled step at {speedup:.2f}x the eager speed" if problem is None
            else f"NO: {problem}"))


def timing(spec: dict, train: Split, steps: int, rounds: int) -> None:
    """Print eager and compiled speed, compile time and break-even."""
    eager = build(spec).to(memory_format=torch.channels_last)
    compiled = torch.compile(build(spec).to(memory_format=torch.channels_last))
    first_eager, _ = epoch_speed(eager, train, steps)
    first_compiled, _ = epoch_speed(compiled, train, steps)  # includes compilation
    speeds = {"eager": [], "compiled": []}
    for _ in range(rounds):
        speeds["eager"].append(epoch_speed(eager, train, steps)[1])
        speeds["compiled"].append(epoch_speed(compiled, train, steps)[1])
    e, c = (statistics.median(speeds[k]) for k in ("eager", "compiled"))
    compile_s = first_compiled - first_eager
    saved_per_image = 1 / e - 1 / c
    print(f"train img/s (median of {rounds}): eager {e:.0f} | compiled {c:.0f} | "
          f"ratio {c / e:.2f}x")
    print(f"compile time (first compiled pass minus an eager one): {compile_s:.1f} s")
    if saved_per_image > 0:
        print(f"break-even: {compile_s / saved_per_image:,.0f} training images "
              f"({compile_s / saved_per_image / 50000:.1f} epochs of the whole CIFAR set)")
    else:
        print("break-even: never (compiled is not faster)")

if __name__ == "__main__":
    main()

"""How fast a oneshot study evaluates candidates once its supernet exists: `dse run` of
`hps_oneshot_cifar10` at its `oneshot` fidelity with `--supernet`, timed from the command's
start to its end (Optuna's sampler, architecture measurements, weight slicing, BatchNorm
recalibration on 2,048 images, validation on 5,000, store writes), and the sandwich step
of the supernet's training (largest + smallest + 2 sampled networks, batch 128).

The goal: 500 candidates in at most 30 minutes on a 2-core machine (`--workers 2`). The
supernet's weights do not change the time, so an untrained one of the same shapes is
saved for the timing (its accuracies are meaningless and the trials end "not learned").
Run it with nothing else on the machine.

    python bench/oneshot_speed.py [--trials 100] [--workers 2] [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from dse import hardware
from dse.search.space import load_space
from dse.search.supernets import GroupNets, groups
from dse.supernet import SuperNet, save_supernet


def step_seconds(nets: GroupNets, threads: int, steps: int = 5) -> float:
    """Median seconds of one sandwich step (batch 128) with `threads` torch threads."""
    torch.set_num_threads(threads)
    big, small = nets.largest(), nets.smallest()
    net = SuperNet(big).train()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    x, y = torch.randn(128, 3, 32, 32), torch.randint(0, 10, (128,))
    rng, times = random.Random(0), []
    for i in range(steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad()
        out = net(x, big)
        torch.nn.functional.cross_entropy(out, y).backward()
        target = out.detach().softmax(1)
        for cfg in (small, nets.sample(rng), nets.sample(rng)):
            (-(target * net(x, cfg).log_softmax(1)).sum(1).mean()).backward()
        opt.step()
        if i:  # the first step warms up
            times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    space = load_space("hps_oneshot_cifar10")
    fid = space.fidelities["oneshot"]
    nets = GroupNets(space, groups(space)[0])
    print(f"machine: {hardware.cpu_name()}; flags {hardware.describe(torch.device('cpu'))}")
    for threads in (1, 2):
        s = step_seconds(nets, threads)
        epoch = s * 45_000 / 128
        print(f"supernet sandwich step, {threads} thread(s): {s:.2f} s; an epoch of 45,000 "
              f"images {epoch / 60:.1f} min; {fid.oneshot.supernet.epochs} epochs "
              f"{epoch * fid.oneshot.supernet.epochs / 3600:.1f} h")
    with tempfile.TemporaryDirectory(prefix="dse-oneshot-") as tmp:
        path = Path(tmp) / "supernet.pt"
        save_supernet(SuperNet(nets.largest()), path, fid.oneshot.supernet, [], "cifar10")
        cmd = [sys.executable, "-m", "dse.cli", "run", "--space", "hps_oneshot_cifar10",
               "--trials", str(args.trials), "--workers", str(args.workers), "--device",
               "cpu", "--supernet", str(path), "--log-format", "plain", "--quiet",
               "--no-baselines", "--storage", f"sqlite:///{tmp}/dse.db", "--artifacts",
               f"{tmp}/studies"] + (["--data-dir", args.data_dir] if args.data_dir else [])
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(proc.stderr[-2000:])
    per = wall / args.trials
    print(f"dse run, {args.trials} oneshot trials, {args.workers} workers: {wall:.0f} s wall "
          f"({per:.2f} s per candidate, start-up included); 500 candidates: about "
          f"{per * 500 / 60:.1f} min (goal: <= 30 min)")


if __name__ == "__main__":
    main()

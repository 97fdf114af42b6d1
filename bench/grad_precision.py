"""How exact is one training step of the engine's float32 paths, against float64?

One forward and backward pass of the same initial weights on the same real CIFAR-10 batch:
eager NCHW, eager channels_last (the engine's default layout) and compiled channels_last
(`--compile on`), each compared with eager float64: relative error of the logits, of the
loss and of the whole gradient (norm of the difference over the norm of the float64
one), and of batch norm alone (forward) in both layouts. Training mode, as in a run.

    python bench/grad_precision.py [--model hps-06-0.5x] [--batch 128]
"""

from __future__ import annotations

import argparse
import time

import torch

from dse import hardware
from dse.data import load_cifar
from dse.models import create


def step(model_name: str, x: torch.Tensor, y: torch.Tensor, dtype: torch.dtype,
         channels_last: bool, compiled: bool) -> tuple[torch.Tensor, float, torch.Tensor]:
    """Logits, loss and flattened gradient of one step from the seed-0 initial weights."""
    torch.manual_seed(0)
    model = create(model_name).to(dtype).train()
    x = x.to(dtype)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    run = torch.compile(model) if compiled else model
    logits = run(x)
    loss = torch.nn.functional.cross_entropy(logits, y)
    loss.backward()
    return (logits.detach().double(), loss.item(),
            torch.cat([p.grad.flatten().double() for p in model.parameters()]))


def batch_norm_error(channels_last: bool) -> float:
    """Relative forward error of BatchNorm2d in training mode on N(5, 3) inputs."""
    torch.manual_seed(0)
    x = torch.randn(128, 32, 30, 30) * 3 + 5
    bn = torch.nn.BatchNorm2d(32).train()
    ref = torch.nn.BatchNorm2d(32).double().train()(x.double())
    if channels_last:
        bn, x = bn.to(memory_format=torch.channels_last), \
            x.contiguous(memory_format=torch.channels_last)
    out = bn(x).double()
    return ((out - ref).norm() / ref.norm()).item()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="hps-06-0.5x")
    ap.add_argument("--batch", type=int, default=128)
    args = ap.parse_args()
    train, _ = load_cifar("cifar10")
    x = train.images[: args.batch].float().div(255)
    y = train.labels[: args.batch].long()
    o_ref, l_ref, g_ref = step(args.model, x, y, torch.float64, False, False)
    print(f"# {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} python "
          f"bench/grad_precision.py --model {args.model} --batch {args.batch}")
    print(f"model {args.model}, seed-0 initial weights, the first {args.batch} CIFAR-10 "
          f"training images (pixels / 255); CPU {hardware.cpu_name()}, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__}")
    print(f"{'float32 path':<28} {'logits rel. error':>18} {'loss rel. error':>16} "
          f"{'gradient rel. error':>20}")
    for label, cl, comp in (("eager NCHW", False, False),
                            ("eager channels_last", True, False),
                            ("compiled channels_last", True, True)):
        o, loss, g = step(args.model, x, y, torch.float32, cl, comp)
        print(f"{label:<28} {((o - o_ref).norm() / o_ref.norm()).item():>18.1e} "
              f"{abs(loss - l_ref) / abs(l_ref):>16.1e} "
              f"{((g - g_ref).norm() / g_ref.norm()).item():>20.1e}")
    print(f"BatchNorm2d alone, training-mode forward: NCHW {batch_norm_error(False):.1e}, "
          f"channels_last {batch_norm_error(True):.1e}")


if __name__ == "__main__":
    main()

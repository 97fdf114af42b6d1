"""Whether to `torch.compile` a training run: `off`, `on`, or `auto` (where it pays).

`auto` compiles on a CPU when the run still has at least `PAYS_FROM_IMAGES` training images
to go, the smallest count after which compiling had saved more time than it cost in
bench/compile_speed.py, for every model measured there (bench/results/compile-speed-*.txt;
BENCHMARKS.md). It never compiles elsewhere: a GPU was not measured. Only the training step
is compiled; evaluation, checkpoints and the saved weights are the eager model's.

TorchInductor can silently compute something else than the eager model: on torch 2.14.1
(CPU), a convolution, ELU and training-mode batch norm gave outputs 14x off and then NaN
(a known class of bugs: pytorch/pytorch#183120). So a run is compiled only after `verify`
has compared the compiled model with the eager one on a real batch; otherwise it trains
eagerly and says why.
"""

from __future__ import annotations

import copy
import os
import shutil

import torch
from torch import nn

from dse.errors import ConfigError

MODES = ("auto", "on", "off")
# The largest break-even measured, rounded up (bench/results/compile-speed-*.txt): from
# here on a compiled run is faster end to end, compile time included, for each model there.
PAYS_FROM_IMAGES = 400_000
# Largest relative difference of the logits allowed between the compiled and the eager
# model in training mode (a correct compile: about 1e-5 for hps-06-0.5x; the ELU bug: 0.8).
AGREEMENT = 1e-3


def _compiler() -> str | None:
    """The C++ compiler TorchInductor would use on a CPU, or None when there is none."""
    return os.environ.get("CXX") or shutil.which("g++") or shutil.which("clang++") \
        or shutil.which("c++")


def check_mode(mode: str) -> None:
    """A ConfigError unless `mode` is auto, on or off."""
    if mode not in MODES:
        raise ConfigError(f"--compile is one of {', '.join(MODES)}, not {str(mode)[:40]!r}.")


def decide(mode: str, device: torch.device, images: int) -> tuple[bool, str]:
    """(compile?, why) for a run on `device` with `images` training images still to go."""
    check_mode(mode)
    if mode == "off":
        return False, "not compiled (--compile off)"
    if device.type == "cpu" and _compiler() is None:
        if mode == "on":
            raise ConfigError("--compile on needs a C++ compiler on a CPU (TorchInductor "
                              "builds C++ kernels) and none was found: install g++ (Debian: "
                              "apt install g++) or set CXX, or use --compile off.")
        return False, "not compiled (no C++ compiler for TorchInductor)"
    if mode == "on":
        return True, "compiled (--compile on)"
    if device.type != "cpu":
        return False, f"not compiled (auto compiles on a CPU only; {device.type} not measured)"
    if images < PAYS_FROM_IMAGES:
        return False, (f"not compiled ({images:,} training images to go; compiling pays from "
                       f"{PAYS_FROM_IMAGES:,} on a CPU)")
    return True, (f"compiled ({images:,} training images to go; compiling pays from "
                  f"{PAYS_FROM_IMAGES:,} on a CPU)")


def verify(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> str | None:
    """None when a compiled copy of `model` computes what the eager one does on the batch
    (x, y) in training mode (dropout off on both): the same logits, finite gradients; else
    what went wrong. `model` itself is not touched; the compiled code is cached by torch
    and reused by the run."""
    def copy_for_check() -> nn.Module:
        m = copy.deepcopy(model).train()
        for mod in m.modules():
            if isinstance(mod, nn.modules.dropout._DropoutNd):
                mod.eval()
        return m

    eager, comp = copy_for_check(), copy_for_check()
    with torch.no_grad():
        expected = eager(x).float()
    try:
        got = torch.compile(comp)(x).float()
        nn.functional.cross_entropy(got, y).backward()
    except Exception as exc:  # a compiler failure: the run trains eagerly instead
        return f"compiling failed ({type(exc).__name__}: {str(exc)[:160]})"
    diff = ((got.detach() - expected).norm() / expected.norm().clamp_min(1e-12)).item()
    if not diff <= AGREEMENT:
        return (f"the compiled model's outputs differ from the eager model's by {diff:.1e} "
                f"(relative) on a check batch, a TorchInductor bug (e.g. "
                f"pytorch/pytorch#183120)")
    if not all(torch.isfinite(p.grad).all() for p in comp.parameters() if p.grad is not None):
        return "the compiled model's gradients are not finite on a check batch"
    return None

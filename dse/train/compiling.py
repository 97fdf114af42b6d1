"""Whether to `torch.compile` a training run: `off`, `on`, or `auto` (where it pays).

bench/compile_speed.py found compiling worth it for some models only (docs/benchmarks.md): 1.25x
for hps-06-0.5x; 1.02x for hps-21-1x-v3; and TorchInductor silently miscomputes ELU before
training-mode batch norm on torch 2.14.1 (an ELU model's logits 1.2 (relative) from
float64, then NaN; a known class of bugs: pytorch/pytorch#183120). So `auto`, on
a CPU and for a run with at least `PAYS_FROM_IMAGES` training images to go, compiles a copy
of the model, `check`s it against an exact (float64) evaluation on a real batch and times
it against the eager step, and compiles the run only if it is right and at least
`MIN_SPEEDUP` faster; `on` skips the timing, never the check. A GPU was not measured: auto
does not compile there. Only the training step is compiled; evaluation, checkpoints and
the saved weights are the eager model's.
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
import statistics
import time

import torch
from torch import nn

from dse.errors import ConfigError

MODES = ("auto", "on", "off")
# Below this many training images to go, auto does not try: end to end, hps-06-0.5x (the
# best case of bench/compile_speed.py) saved 30 s of training over 400,000 images
# (results/compile-e2e/), so a cold compile (36 s) is paid back from about 480,000.
PAYS_FROM_IMAGES = 500_000
# A compiled step must be this much faster than the eager one, measured on the run's own
# machine and model, for auto to keep it. The probe is noisy: 1.19-1.27x for hps-06-0.5x
# (1.25x over long passes), 0.98-1.11x for hps-21-1x-v3 (1.02x); bench/results/.
MIN_SPEEDUP = 1.05
# Relative error of the logits (against float64) always allowed to a compiled model in
# training mode; beyond it, up to twice the eager float32 NCHW model's own error (a correct
# compile: 1.5e-5 for hps-06-0.5x; the ELU bug: 1.2; bench/results/).
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
        return True, "--compile on"
    if device.type != "cpu":
        return False, f"not compiled (auto compiles on a CPU only; {device.type} not measured)"
    if images < PAYS_FROM_IMAGES:
        return False, (f"not compiled ({images:,} training images to go; compiling can pay "
                       f"from {PAYS_FROM_IMAGES:,} on a CPU)")
    return True, f"{images:,} training images to go"


def choose(mode: str, model: nn.Module, x: torch.Tensor, y: torch.Tensor, why: str
           ) -> tuple[bool, str]:
    """After `decide` said to try: (compile?, why), from `check` on the batch (x, y)."""
    problem, speedup = check(model, x, y, timed=mode == "auto")
    if problem:
        return False, f"not compiled: {problem}; training eagerly"
    if mode == "on":
        return True, "compiled (--compile on; checked against an exact evaluation)"
    if speedup < MIN_SPEEDUP:
        return False, (f"not compiled: a compiled training step ran at {speedup:.2f}x the "
                       f"eager speed here (auto compiles from {MIN_SPEEDUP:.2f}x)")
    return True, (f"compiled ({why}; a compiled training step ran at {speedup:.2f}x the "
                  f"eager speed here)")


def check(model: nn.Module, x: torch.Tensor, y: torch.Tensor, timed: bool = True
          ) -> tuple[str | None, float]:
    """(problem, speedup) of a compiled copy of `model` on the batch (x, y), training mode,
    dropout off. problem is None when its logits are as close to a float64 evaluation as
    the eager float32 model's in the NCHW layout (or within `AGREEMENT`) and its
    gradients are finite; speedup (when `timed`, else 1.0) is its training-step speed
    (forward, backward, SGD step) over the eager copy's, interleaved rounds. `model`
    itself is not touched; the compiled code is cached by torch and reused by the run.

    The reference is float64 because float32 itself can be far off at initialisation in
    training mode: for hps-21-1x-v3, eager channels_last logits were 0.80 (relative) from
    float64, eager NCHW 0.070, compiled 0.087 (bench/results/grad-precision-*.txt). The
    reference copies are NCHW (a channels_last weight makes even an NCHW input run in
    channels_last)."""
    def copy_for_check(dtype: torch.dtype = torch.float32,
                       layout: torch.memory_format = torch.preserve_format) -> nn.Module:
        m = copy.deepcopy(model).to(dtype).to(memory_format=layout).train()
        for mod in m.modules():
            if isinstance(mod, nn.modules.dropout._DropoutNd):
                mod.eval()
        return m

    def error(out: torch.Tensor) -> float:
        return ((out.detach().double() - exact).norm() / exact.norm().clamp_min(1e-12)).item()

    with torch.no_grad():
        nchw = torch.contiguous_format
        exact = copy_for_check(torch.float64, nchw)(x.double().contiguous())
        eager_error = error(copy_for_check(layout=nchw)(x.contiguous()))
    eager, comp = copy_for_check(), copy_for_check()
    if x.device.type == "cpu" and not torch.cuda.is_available():
        # TorchInductor looks for CUDA even for a CPU model and warns, in every worker's
        # log, that it found none: noise for a run that does not use CUDA.
        logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
    try:
        compiled = torch.compile(comp)
        got = compiled(x)
        nn.functional.cross_entropy(got.float(), y).backward()
    except Exception as exc:  # a compiler failure: the run trains eagerly instead
        return f"compiling failed ({type(exc).__name__}: {str(exc)[:160]})", 0.0
    err = error(got)
    if not err <= max(AGREEMENT, 2 * eager_error):
        return (f"the compiled model's outputs are {err:.1e} (relative) from an exact "
                f"evaluation on a check batch, the eager model's {eager_error:.1e}: a "
                f"TorchInductor bug (e.g. pytorch/pytorch#183120)"), 0.0
    if not all(torch.isfinite(p.grad).all() for p in comp.parameters() if p.grad is not None):
        return "the compiled model's gradients are not finite on a check batch", 0.0
    if not timed:
        return None, 1.0
    times: dict[str, list[float]] = {"eager": [], "compiled": []}
    steps = {name: _stepper(run, m, x, y) for name, run, m in (("eager", eager, eager),
                                                               ("compiled", compiled, comp))}
    for _ in range(3):  # interleaved rounds of 3 steps each, after a warm-up step
        for name, one_step in steps.items():
            one_step()
            t0 = time.perf_counter()
            for _ in range(3):
                one_step()
            times[name].append(time.perf_counter() - t0)
    return None, statistics.median(times["eager"]) / statistics.median(times["compiled"])


def _stepper(run, model: nn.Module, x: torch.Tensor, y: torch.Tensor):
    """One whole training step of `run` (forward, backward, an SGD step as the default
    recipe's), for timing on a copy."""
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, nesterov=True,
                          weight_decay=5e-4)

    def one_step() -> None:
        nn.functional.cross_entropy(run(x).float(), y).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    return one_step

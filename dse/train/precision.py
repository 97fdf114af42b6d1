"""Training precision: where the forward pass runs in bfloat16 autocast."""

from __future__ import annotations

from contextlib import nullcontext

import torch

from dse import hardware
from dse.train.recipe import TrainConfig


def trains_in_bf16(cfg: TrainConfig, device: torch.device) -> bool:
    """Whether `cfg`'s training runs its forward pass in bfloat16 on `device` (always on
    CUDA; on a CPU for precision bf16, or auto where the CPU has AMX or AVX-512 BF16)."""
    if device.type == "cuda" or cfg.precision == "bf16":
        return True
    return cfg.precision == "auto" and bool(
        {"amx_bf16", "avx512_bf16"} & set(hardware.cpu_flags()))


def autocast(device: torch.device, bf16: bool = False):
    """bfloat16 autocast: always on CUDA; on a CPU when asked (`bf16`, training only, where
    AMX or AVX-512 BF16 makes it faster: bench/train_throughput.py --precision bf16)."""
    if device.type == "cuda" or bf16:
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return nullcontext()

"""What the numbers were measured on: CPU, GPU, thread count and library versions."""

from __future__ import annotations

import os
import platform
from functools import cache

import torch


@cache
def cpu_name() -> str:
    """The CPU model name from /proc/cpuinfo (or platform.processor())."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


#: The CPU features that decide int8 and float32 speed on x86 (VNNI: int8 dot products;
#: AMX: bf16/int8 matrix tiles) and on ARM (asimddp: int8 dot products).
SPEED_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile",
               "amx_int8", "amx_bf16", "asimd", "asimddp")


@cache
def cpu_flags() -> list[str]:
    """Which of `SPEED_FLAGS` this CPU has (from /proc/cpuinfo; empty where unreadable)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    have = set(line.split(":", 1)[1].split())
                    return [flag for flag in SPEED_FLAGS if flag in have]
    except OSError:
        pass
    return []


def describe(device: torch.device | None = None) -> dict:
    """A JSON-ready description of the machine and software that ran a measurement."""
    # lazy: optuna costs ~1 s to import; only this path uses it
    import optuna

    info = {"cpu": cpu_name(), "cpu_count": os.cpu_count(), "torch_threads":
            torch.get_num_threads(), "torch": torch.__version__, "optuna": optuna.__version__,
            "python": platform.python_version(), "device": str(device or "cpu"),
            "cpu_flags": cpu_flags()}
    if device is not None and device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info

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


def describe(device: torch.device | None = None) -> dict:
    """A JSON-ready description of the machine and software that ran a measurement."""
    # lazy: optuna costs ~1 s to import; only this path uses it
    import optuna

    info = {"cpu": cpu_name(), "cpu_count": os.cpu_count(), "torch_threads":
            torch.get_num_threads(), "torch": torch.__version__, "optuna": optuna.__version__,
            "python": platform.python_version(), "device": str(device or "cpu")}
    if device is not None and device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info

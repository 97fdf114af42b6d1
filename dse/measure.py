"""Architecture and speed measurements: parameters, MACs, float32 size, CPU latency."""

from __future__ import annotations

import copy
import io
import statistics
import time

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from dse.models import input_channels, input_size


def count_params(model: nn.Module) -> int:
    """Number of trainable and frozen parameters."""
    return sum(p.numel() for p in model.parameters())


def count_macs(model: nn.Module, size: int | None = None) -> int:
    """Multiply-accumulates of one forward pass of one image (torch.utils.flop_counter / 2)."""
    size = size or input_size(model)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            device = next(model.parameters()).device
            model(torch.zeros(1, input_channels(model), size, size, device=device))
    finally:
        model.train(was_training)
    return counter.get_total_flops() // 2


def state_dict_bytes(model: nn.Module) -> int:
    """Bytes of the float32 state_dict as torch.save writes it (the papers' "model size")."""
    buf = io.BytesIO()
    sd = {k: (v.float() if v.is_floating_point() else v).cpu()
          for k, v in model.state_dict().items()}
    torch.save(sd, buf)
    return buf.getbuffer().nbytes


def size_mb(model: nn.Module) -> float:
    """Float32 state_dict size in decimal megabytes."""
    return state_dict_bytes(model) / 1e6


def cpu_latency_ms(model: nn.Module, repeats: int = 50, warmup: int = 5,
                   threads: int = 1) -> dict[str, float]:
    """Batch-1 inference latency on the CPU with `threads` threads: median and p90 in ms."""
    on_cpu = all(p.device.type == "cpu" and p.dtype == torch.float32
                 for p in model.parameters())
    was_training = model.training
    model = (model if on_cpu else copy.deepcopy(model).float().cpu()).eval()
    size = input_size(model)
    x = torch.randn(1, input_channels(model), size, size,
                    generator=torch.Generator().manual_seed(0))
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    times = []
    try:
        with torch.inference_mode():
            for i in range(warmup + repeats):
                t0 = time.perf_counter()
                model(x)
                if i >= warmup:
                    times.append((time.perf_counter() - t0) * 1e3)
    finally:
        torch.set_num_threads(old)
        model.train(was_training)
    times.sort()
    return {"latency_ms": statistics.median(times),
            "latency_p90_ms": times[min(len(times) - 1, int(0.9 * len(times)))]}

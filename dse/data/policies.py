"""Augmentation policies applied to uint8 training batches after crop and flip (before
random erasing): a registry, one entry per policy, each `policy(x, gen) -> x` drawing its
randomness from the epoch's generator `gen` (so an epoch's augmentation is the same on
resume). To add one, write the function and `register_policy` it (lazily when its module
is slow to import)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

import torch

from dse.registry import Registry

Policy = Callable[[torch.Tensor, torch.Generator], torch.Tensor]
POLICIES: Registry[Policy | None] = Registry("augmentation policy", "augmentation policies")


def register_policy(name: str, policy: Policy | None = None,
                    lazy: Callable[[], Policy] | None = None) -> None:
    """Register `policy` as `name`, or `lazy()`, called on first use (a slow import)."""
    if lazy is not None:
        POLICIES.register_lazy(name, lazy)
    else:
        POLICIES.register(name, policy)


register_policy("none", None)
register_policy("trivialaugment",  # torchvision's transforms load on first use
                lazy=lambda: import_module("dse.data.trivialaugment").trivial_augment)

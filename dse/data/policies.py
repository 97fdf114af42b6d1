"""Augmentation policies applied to uint8 training batches after crop and flip (before
random erasing): a registry, one entry per policy, each `policy(x, gen) -> x` drawing its
randomness from the epoch's generator `gen` (so an epoch's augmentation is the same on
resume). To add one, write the function and register it here (lazily when its module is
slow to import)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

import torch

from dse.registry import Registry

Policy = Callable[[torch.Tensor, torch.Generator], torch.Tensor]
POLICIES: Registry[Policy | None] = Registry("augmentation policy", "augmentation policies")
POLICIES.register("none", None)
POLICIES.register_lazy(  # torchvision's transforms load on first use
    "trivialaugment", lambda: import_module("dse.data.trivialaugment").trivial_augment)

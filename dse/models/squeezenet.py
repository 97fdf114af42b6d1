"""SqueezeNet v1.0 / v1.1 in CIFAR form (torchvision's definitions, adaptive pooling)."""

from __future__ import annotations

import torchvision
from torch import nn


def squeezenet(version: str = "1.0", num_classes: int = 10, dropout: float = 0.5) -> nn.Module:
    """torchvision's SqueezeNet: final 1x1 conv 512 -> classes, adaptive average pool."""
    fn = {"1.0": torchvision.models.squeezenet1_0, "1.1": torchvision.models.squeezenet1_1}
    return fn[version](weights=None, num_classes=num_classes, dropout=dropout)

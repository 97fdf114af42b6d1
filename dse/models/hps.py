"""High Performance SqueezeNext (HPS): conv-ReLU-BN order, unpadded stem, dropout; the
papers' named variants (2022 journal, Tables 2 and 3)."""

from __future__ import annotations

from dse.models.registry import register_family, register_model
from dse.models.squeezenext import SqueezeNext, SqueezeNextConfig


class HPSConfig(SqueezeNextConfig):
    """HPS dimensions: SqueezeNext's, with the activation before BatchNorm and no stem pad."""


@register_family("hps", HPSConfig)
def hps(cfg: HPSConfig) -> SqueezeNext:
    """High Performance SqueezeNext: conv-act-BN sandwich, unpadded stem, dropout."""
    return SqueezeNext(cfg)


C10, C100, BOTH = ("cifar10",), ("cifar100",), ("cifar10", "cifar100")
for name, blocks, width, paper, datasets in (
    ("hps-06-0.5x", (1, 1, 1, 1), 0.5, "HPS-06-0.5x", C10),
    ("hps-06-0.75x", (1, 1, 1, 1), 0.75, "HPS-06-0.75x", C10),
    ("hps-06-1x", (1, 1, 1, 1), 1.0, "HPS-06-1x", C10),
    ("hps-08-0.5x", (1, 2, 2, 1), 0.5, "HPS-08-0.5x", C10),
    ("hps-14-1.5x", (1, 2, 8, 1), 1.5, "HPS-14-1.5x", BOTH),
    ("hps-21-1x-v2", (2, 2, 14, 1), 1.0, "HPS-21-1x-v2", C10),
    ("hps-21-1x-v3", (2, 4, 12, 1), 1.0, "HPS-21-1x-v3", C10),
    ("hps-23-1x", (2, 2, 16, 1), 1.0, "HPS-23-1x", BOTH),
    ("hps-06-0.4x", (1, 1, 1, 1), 0.4, "HPS-06-0.4x", C100),
    ("hps-06-0.575x", (1, 1, 1, 1), 0.575, "HPS-06-0.575x", C100),
    ("hps-09-0.5x", (1, 1, 4, 1), 0.5, "HPS-09-0.5x", C100),
    ("hps-14-1x", (1, 2, 8, 1), 1.0, "HPS-14-1x", C100),
    ("hps-25-1x", (2, 4, 16, 1), 1.0, "HPS-25-1x", C100),
):
    register_model(name, "hps", paper, datasets, blocks=blocks, width=width)

"""The SqueezeNext baseline and the High Performance SqueezeNext (HPS) generator."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from dse.models.blocks import ACTIVATIONS, ORDERS, ConvUnit, SqueezeNextBlock


@dataclass(frozen=True)
class SqueezeNextConfig:
    """Everything that defines one network of the family (a variant is data, not code).

    `blocks` are the block counts of the four stages, `width` multiplies every layer's
    channels, `resolution` scales the input side (0.75 -> 24x24), `order` places the
    activation before ("conv-act-bn", HPS) or after ("conv-bn-act", baseline) BatchNorm,
    and `stem_padding` is 0 for HPS (32 -> 30) and 1 for the baseline.
    """

    blocks: tuple[int, int, int, int] = (1, 1, 1, 1)
    width: float = 1.0
    resolution: float = 1.0
    activation: str = "relu"
    dropout: float = 0.0
    order: str = "conv-act-bn"
    stem_padding: int = 0
    num_classes: int = 10
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if len(self.blocks) != 4 or any(int(b) < 1 for b in self.blocks):
            raise ValueError(f"blocks must be four counts >= 1, got {list(self.blocks)}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation {self.activation!r} is not one of {list(ACTIVATIONS)}")
        if self.order not in ORDERS:
            raise ValueError(f"order {self.order!r} is not one of {list(ORDERS)}")
        if not 0 < self.width <= 8 or not 0.25 <= self.resolution <= 2:
            raise ValueError(f"width {self.width} / resolution {self.resolution} out of range")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        object.__setattr__(self, "blocks", tuple(int(b) for b in self.blocks))

    @property
    def input_size(self) -> int:
        """Side of the (square) input image in pixels."""
        return round(32 * self.resolution)

    def to_dict(self) -> dict:
        """Plain-data form (JSON- and checkpoint-friendly)."""
        d = asdict(self)
        d.pop("extra")
        d["blocks"] = list(self.blocks)
        return d


class SqueezeNext(nn.Module):
    """Stem, four stages of SqueezeNext blocks (strides 1, 2, 2, 2), 1x1 head conv, classifier."""

    def __init__(self, cfg: SqueezeNextConfig):
        super().__init__()
        self.config = cfg
        w, act, order = cfg.width, cfg.activation, cfg.order
        channels = [int(w * c) for c in (32, 64, 128, 256)]
        cin = int(w * 64)
        self.stem = ConvUnit(3, cin, 3, 1, cfg.stem_padding, act, order)
        stages, k = [], 0
        for i, (n, cout) in enumerate(zip(cfg.blocks, channels, strict=True)):
            blocks = []
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                blocks.append(SqueezeNextBlock(cin, cout, stride, act, order, transpose=k % 2 == 1))
                cin, k = cout, k + 1
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.head = ConvUnit(cin, int(w * 128), 1, 1, 0, act, order)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(int(w * 128), cfg.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        x = self.pool(self.head(self.stages(self.stem(x)))).flatten(1)
        return self.fc(self.dropout(x))


def hps(blocks, width: float = 1.0, num_classes: int = 10, **kw) -> SqueezeNext:
    """An HPS network: conv-ReLU-BN order, unpadded stem, dropout before the classifier."""
    return SqueezeNext(SqueezeNextConfig(tuple(blocks), width, num_classes=num_classes, **kw))


def sqnxt(blocks, width: float = 1.0, num_classes: int = 10, **kw) -> SqueezeNext:
    """The SqueezeNext baseline (CIFAR form): conv-BN-ReLU order, padded stem."""
    kw = {"order": "conv-bn-act", "stem_padding": 1, **kw}
    return SqueezeNext(SqueezeNextConfig(tuple(blocks), width, num_classes=num_classes, **kw))

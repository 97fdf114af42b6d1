"""The SqueezeNext network generator and the config shared by its families (hps, sqnxt)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import torch
from pydantic import Field
from torch import nn

from dse.models.blocks import ACTIVATIONS, ORDERS, ConvUnit, SqueezeNextBlock
from dse.models.config import FamilyConfig

#: Blocks per stage: at least one; 64 is far beyond anything trainable on CIFAR here.
StageBlocks = Annotated[int, Field(ge=1, le=64, strict=True)]


class SqueezeNextConfig(FamilyConfig):
    """Everything that defines one network of the family (a variant is data, not code).

    `blocks` are the block counts of the four stages, `width` multiplies every layer's
    channels (0.125 is the least that leaves every layer a channel), `resolution` scales
    the input side (0.75 -> 24x24), `order` places the activation before ("conv-act-bn",
    HPS) or after ("conv-bn-act", baseline) BatchNorm, and `stem_padding` is 0 for HPS
    (32 -> 30) and 1 for the baseline.
    """

    blocks: tuple[StageBlocks, StageBlocks, StageBlocks, StageBlocks] = (1, 1, 1, 1)
    width: float = Field(default=1.0, ge=0.125, le=8.0, strict=True)
    resolution: float = Field(default=1.0, ge=0.25, le=2.0, strict=True)
    activation: Literal[tuple(ACTIVATIONS)] = "relu"  # type: ignore[valid-type]
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0, strict=True)
    order: Literal[ORDERS] = "conv-act-bn"  # type: ignore[valid-type]
    stem_padding: int = Field(default=0, ge=0, le=1, strict=True)
    summary_keys: ClassVar[tuple[str, ...]] = ("blocks", "width", "activation")

    @property
    def input_size(self) -> int:
        """Side of the (square) input image in pixels."""
        return round(32 * self.resolution)

    def summary(self) -> str:
        """'hps [2,4,12,1] 1x relu res0.75 drop0.1'."""
        parts = [self.family, "[" + ",".join(str(b) for b in self.blocks) + "]",
                 f"{self.width:g}x", self.activation]
        if self.resolution != 1.0:
            parts.append(f"res{self.resolution:g}")
        if self.dropout:
            parts.append(f"drop{self.dropout:g}")
        return " ".join(parts)


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

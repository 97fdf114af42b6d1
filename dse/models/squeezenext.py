"""The SqueezeNext network generator and the config shared by its families (hps, sqnxt).

The papers' networks are one corner of the config: every layer's channels follow one
width multiplier, stage strides are (1, 2, 2, 2), blocks squeeze by (0.5, 0.5) and make
their 3x3 from a 1x3 and a 3x1. Every other dimension generalises one of those choices,
and its default is the papers' value, so a registered variant builds exactly as before.
"""

from __future__ import annotations

import warnings
from typing import Annotated, ClassVar, Literal

import torch
from pydantic import Field, model_validator
from torch import nn

from dse.errors import DseWarning
from dse.models.blocks import ACTIVATIONS, CONV3, ORDERS, ConvUnit, SqueezeNextBlock
from dse.models.config import FamilyConfig

#: Blocks per stage: at least one; 64 is far beyond anything trainable on CIFAR here.
StageBlocks = Annotated[int, Field(ge=1, le=64, strict=True)]
Channels = Annotated[int, Field(ge=1, le=2048, strict=True)]
Stride = Annotated[int, Field(ge=1, le=2, strict=True)]
Squeeze = Annotated[float, Field(gt=0.0, le=2.0, strict=True)]
BASE_CHANNELS = (32, 64, 128, 256)  # stage outputs at width 1; stem 64, head 128


class SqueezeNextConfig(FamilyConfig):
    """Everything that defines one network of the family (a variant is data, not code).

    - `blocks`: block counts of the four stages; `strides`: each stage's first stride.
    - `width` multiplies the papers' channels (stages 32, 64, 128, 256; stem 64; head
      128); `stage_channels`, `stem_channels`, `head_channels` set a layer's channels
      directly instead (head 0: no head conv, the last stage is pooled).
    - `stem_stride` 1 or 2; `stem_padding` 0 for HPS (32 -> 30), 1 for the baseline.
    - `squeeze`: a block's two reductions, c1 = cout * squeeze[0], c2 = c1 * squeeze[1].
    - `conv3`: the spatial stage, "sep" (1x3 + 3x1), "full" (3x3), "dw3"/"dw5"
      (depthwise 3x3/5x5 + pointwise 1x1).
    - `se`: squeeze-excitation on each block's output, hidden = cout * se (0: none).
    - `order`: activation before ("conv-act-bn", HPS) or after ("conv-bn-act", foldable
      for int8) BatchNorm. `resolution` scales the input side (0.75 -> 24x24).
    """

    blocks: tuple[StageBlocks, StageBlocks, StageBlocks, StageBlocks] = (1, 1, 1, 1)
    width: float = Field(default=1.0, ge=0.125, le=8.0, strict=True)
    resolution: float = Field(default=1.0, ge=0.25, le=2.0, strict=True)
    activation: Literal[tuple(ACTIVATIONS)] = "relu"  # type: ignore[valid-type]
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0, strict=True)
    order: Literal[ORDERS] = "conv-act-bn"  # type: ignore[valid-type]
    stem_padding: int = Field(default=0, ge=0, le=1, strict=True)
    stage_channels: tuple[Channels, Channels, Channels, Channels] | None = None
    stem_channels: Channels | None = None
    stem_stride: Stride = 1
    head_channels: int | None = Field(default=None, ge=0, le=2048, strict=True)
    strides: tuple[Stride, Stride, Stride, Stride] = (1, 2, 2, 2)
    squeeze: tuple[Squeeze, Squeeze] = (0.5, 0.5)
    conv3: Literal[CONV3] = "sep"  # type: ignore[valid-type]
    se: float = Field(default=0.0, ge=0.0, le=1.0, strict=True)
    summary_keys: ClassVar[tuple[str, ...]] = ("blocks", "width", "activation")

    @model_validator(mode="after")
    def _width_does_something(self):
        given = (self.stage_channels, self.stem_channels, self.head_channels)
        if self.width != 1.0 and all(v is not None for v in given):
            raise ValueError("width scales only the layers whose channels are not given; "
                             "with stage_channels, stem_channels and head_channels all "
                             "given it would change nothing: leave width at 1.0")
        return self

    @property
    def input_size(self) -> int:
        """Side of the (square) input image in pixels."""
        return round(self.image_size * self.resolution)

    def spatial_sizes(self, side: int | None = None) -> list[int]:
        """Feature-map side after the stem and after each stage, for an input `side`
        (default: this config's input)."""
        n = ((side or self.input_size) + 2 * self.stem_padding - 3) // self.stem_stride + 1
        out = [n]
        for s in self.strides:
            n = (n - 1) // s + 1 if n > 0 else 0
            out.append(n)
        return out

    def smallest_input(self) -> int:
        """The smallest input side that keeps the stem's and every stage's output but the
        last's above 1x1."""
        return next(m for m in range(3, 4097) if min(self.spatial_sizes(m)[:-1]) > 1)

    @model_validator(mode="after")
    def _stride_plan_fits_the_input(self):
        sizes = self.spatial_sizes()
        if sizes[0] < 1:
            raise ValueError(f"a {self.input_size}x{self.input_size} input leaves nothing after "
                             f"the stem; the smallest input this stride plan keeps above 1x1 "
                             f"is {self.smallest_input()} px")
        if min(sizes[:-1]) <= 1:
            warnings.warn(DseWarning(
                f"a {self.input_size}x{self.input_size} input reaches 1x1 before the last stage "
                f"(feature maps {' -> '.join(map(str, sizes))}): the later stages see one "
                f"pixel. An input of at least {self.smallest_input()} px (or fewer stride-2 "
                f"stages) keeps every stage above 1x1."), stacklevel=2)
        return self

    def layer_channels(self) -> tuple[int, tuple[int, ...], int]:
        """(stem, the four stages', head) channels after width is applied."""
        w = self.width
        stem = self.stem_channels if self.stem_channels is not None else int(w * 64)
        stages = self.stage_channels or tuple(int(w * c) for c in BASE_CHANNELS)
        head = self.head_channels if self.head_channels is not None else int(w * 128)
        return stem, tuple(stages), head

    def canonical(self) -> dict:
        """The architecture with width resolved into channels: equal dicts, equal networks."""
        stem, stages, head = self.layer_channels()
        d = self.to_spec()
        d.update(width=1.0, stem_channels=stem, stage_channels=list(stages),
                 head_channels=head)
        return d

    def summary(self) -> str:
        """'hps [2,4,12,1] 1x relu res0.75 drop0.1', then whatever departs from the papers'
        layout: 'c16-32-64-128 stem24/2 head0 s1222 sq0.25/0.5 dw3 se0.25 bn-act'."""
        parts = [self.family, "[" + ",".join(str(b) for b in self.blocks) + "]"]
        if self.stage_channels is None:
            parts.append(f"{self.width:g}x")
        else:
            parts.append("c" + "-".join(str(c) for c in self.stage_channels))
        parts.append(self.activation)
        if self.resolution != 1.0:
            parts.append(f"res{self.resolution:g}")
        if self.dropout:
            parts.append(f"drop{self.dropout:g}")
        if self.stem_channels is not None or self.stem_stride != 1:
            stem, _, _ = self.layer_channels()
            parts.append(f"stem{stem}" + (f"/{self.stem_stride}" if self.stem_stride != 1
                                          else ""))
        if self.head_channels is not None:
            parts.append(f"head{self.head_channels}")
        if self.strides != (1, 2, 2, 2):
            parts.append("s" + "".join(str(s) for s in self.strides))
        if self.squeeze != (0.5, 0.5):
            parts.append(f"sq{self.squeeze[0]:g}/{self.squeeze[1]:g}")
        if self.conv3 != "sep":
            parts.append(self.conv3)
        if self.se:
            parts.append(f"se{self.se:g}")
        if self.order != type(self).model_fields["order"].default:
            parts.append(self.order.removeprefix("conv-"))
        return " ".join(parts)


class SqueezeNext(nn.Module):
    """Stem, four stages of SqueezeNext blocks, optional 1x1 head conv, pool, classifier."""

    def __init__(self, cfg: SqueezeNextConfig):
        super().__init__()
        self.config = cfg
        act, order = cfg.activation, cfg.order
        cin, channels, head = cfg.layer_channels()
        self.stem = ConvUnit(cfg.in_channels, cin, 3, cfg.stem_stride, cfg.stem_padding, act, order)
        stages, k = [], 0
        for n, cout, s in zip(cfg.blocks, channels, cfg.strides, strict=True):
            blocks = []
            for j in range(n):
                blocks.append(SqueezeNextBlock(
                    cin, cout, s if j == 0 else 1, act, order, transpose=k % 2 == 1,
                    squeeze=cfg.squeeze, conv3=cfg.conv3, se=cfg.se))
                cin, k = cout, k + 1
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.head = ConvUnit(cin, head, 1, 1, 0, act, order) if head else nn.Identity()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(head or cin, cfg.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        x = self.pool(self.head(self.stages(self.stem(x)))).flatten(1)
        return self.fc(self.dropout(x))

"""Building blocks shared by the SqueezeNext family: conv units, squeeze-excitation and the
SqueezeNext block with its configurable 3x3 stage."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": lambda: nn.ReLU(inplace=True),
    "elu": lambda: nn.ELU(inplace=True),
    "leaky_relu": lambda: nn.LeakyReLU(0.1, inplace=True),
    "selu": lambda: nn.SELU(inplace=True),
    "gelu": lambda: nn.GELU(),
    "silu": lambda: nn.SiLU(inplace=True),
    "hardswish": lambda: nn.Hardswish(inplace=True),
    "mish": lambda: nn.Mish(inplace=True),
}
ORDERS = ("conv-act-bn", "conv-bn-act")
#: How a block makes its 3x3 receptive field: 1x3 then 3x1 (SqueezeNext), one full 3x3,
#: or a depthwise 3x3 / 5x5 followed by a pointwise 1x1.
CONV3 = ("sep", "full", "dw3", "dw5")


def activation(name: str) -> nn.Module:
    """A fresh activation module by name (see ACTIVATIONS)."""
    return ACTIVATIONS[name]()


class ConvUnit(nn.Sequential):
    """Conv (with bias) followed by activation and BatchNorm in the given order.

    "conv-act-bn" is HPS's ReLU sandwiched between convolution and BatchNorm;
    "conv-bn-act" is the SqueezeNext baseline (its BatchNorm folds into the convolution).
    """

    def __init__(self, cin: int, cout: int, kernel: int | tuple[int, int], stride: int = 1,
                 padding: int | tuple[int, int] = 0, act: str = "relu",
                 order: str = "conv-act-bn", groups: int = 1):
        conv = nn.Conv2d(cin, cout, kernel, stride, padding, bias=True, groups=groups)
        bn = nn.BatchNorm2d(cout)
        layers = [conv, activation(act), bn] if order == "conv-act-bn" else \
            [conv, bn, activation(act)]
        super().__init__(*layers)


class SqueezeExcite(nn.Module):
    """Squeeze-excitation: channels rescaled by sigmoid(fc(relu(fc(mean over space))))."""

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, hidden, 1)
        self.act = nn.ReLU(inplace=True)
        self.expand = nn.Conv2d(hidden, channels, 1)
        self.gate = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return x * self.gate(self.expand(self.act(self.reduce(self.pool(x)))))


def spatial_units(c2: int, c1: int, conv3: str, act: str, order: str,
                  transpose: bool) -> list[nn.Module]:
    """The block's c2 -> c1 stage that sees a 3x3 (or 5x5) neighbourhood."""
    if conv3 == "sep":
        sep = [((1, 3), (0, 1)), ((3, 1), (1, 0))]
        if transpose:  # alternate the 1x3 / 3x1 order; parameters and MACs are unchanged
            sep.reverse()
        (k3, p3), (k4, p4) = sep
        return [ConvUnit(c2, c1, k3, 1, p3, act, order), ConvUnit(c1, c1, k4, 1, p4, act, order)]
    if conv3 == "full":
        return [ConvUnit(c2, c1, 3, 1, 1, act, order)]
    k = int(conv3.removeprefix("dw"))
    return [ConvUnit(c2, c2, k, 1, k // 2, act, order, groups=c2),
            ConvUnit(c2, c1, 1, 1, 0, act, order)]


class SqueezeNextBlock(nn.Module):
    """SqueezeNext block with a residual shortcut: act(se(main(x)) + shortcut(x)).

    main: 1x1 cin -> c1 (stride), 1x1 c1 -> c2, the spatial stage c2 -> c1 (`conv3`),
    1x1 c1 -> cout, with c1 = int(cout * squeeze[0]) and c2 = int(c1 * squeeze[1]) (at
    least 1). squeeze (0.5, 0.5) is the papers' rule for their channel layouts (stage
    widths doubling): c1 = cin/4 when cin > cout, cin/2 when equal, cin when stride 2.
    """

    def __init__(self, cin: int, cout: int, stride: int, act: str, order: str,
                 transpose: bool = False, squeeze: tuple[float, float] = (0.5, 0.5),
                 conv3: str = "sep", se: float = 0.0):
        super().__init__()
        c1 = max(1, int(cout * squeeze[0]))
        c2 = max(1, int(c1 * squeeze[1]))
        self.main = nn.Sequential(
            ConvUnit(cin, c1, 1, stride, 0, act, order),
            ConvUnit(c1, c2, 1, 1, 0, act, order),
            *spatial_units(c2, c1, conv3, act, order, transpose),
            ConvUnit(c1, cout, 1, 1, 0, act, order),
        )
        if se > 0:
            self.se = SqueezeExcite(cout, max(1, int(cout * se)))
        self.shortcut = (ConvUnit(cin, cout, 1, stride, 0, act, order)
                         if stride == 2 or cin != cout else nn.Identity())
        self.out_act = activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        y = self.main(x)
        if hasattr(self, "se"):
            y = self.se(y)
        return self.out_act(y + self.shortcut(x))

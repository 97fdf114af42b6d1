"""Building blocks shared by the SqueezeNext family: conv units and the SqueezeNext block."""

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


def activation(name: str) -> nn.Module:
    """A fresh activation module by name (see ACTIVATIONS)."""
    return ACTIVATIONS[name]()


class ConvUnit(nn.Sequential):
    """Conv (with bias) followed by activation and BatchNorm in the given order.

    "conv-act-bn" is HPS's ReLU sandwiched between convolution and BatchNorm;
    "conv-bn-act" is the SqueezeNext baseline.
    """

    def __init__(self, cin: int, cout: int, kernel: int | tuple[int, int], stride: int = 1,
                 padding: int | tuple[int, int] = 0, act: str = "relu",
                 order: str = "conv-act-bn"):
        conv = nn.Conv2d(cin, cout, kernel, stride, padding, bias=True)
        bn = nn.BatchNorm2d(cout)
        layers = [conv, activation(act), bn] if order == "conv-act-bn" else \
            [conv, bn, activation(act)]
        super().__init__(*layers)


class SqueezeNextBlock(nn.Module):
    """Five-conv SqueezeNext block with a residual shortcut: act(main(x) + shortcut(x))."""

    def __init__(self, cin: int, cout: int, stride: int, act: str, order: str,
                 transpose: bool = False):
        super().__init__()
        r = 1.0 if stride == 2 else (0.25 if cin > cout else 0.5)
        c1, c2 = int(cin * r), int(cin * r * 0.5)
        sep = [((1, 3), (0, 1)), ((3, 1), (1, 0))]
        if transpose:  # alternate the 1x3 / 3x1 order; parameters and MACs are unchanged
            sep.reverse()
        (k3, p3), (k4, p4) = sep
        self.main = nn.Sequential(
            ConvUnit(cin, c1, 1, stride, 0, act, order),
            ConvUnit(c1, c2, 1, 1, 0, act, order),
            ConvUnit(c2, c1, k3, 1, p3, act, order),
            ConvUnit(c1, c1, k4, 1, p4, act, order),
            ConvUnit(c1, cout, 1, 1, 0, act, order),
        )
        self.shortcut = (ConvUnit(cin, cout, 1, stride, 0, act, order)
                         if stride == 2 or cin != cout else nn.Identity())
        self.out_act = activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.out_act(self.main(x) + self.shortcut(x))

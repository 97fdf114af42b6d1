"""The SqueezeNext baseline in CIFAR form: conv-BN-ReLU order, padded stem; SqNxt-23."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dse.models.blocks import ORDERS
from dse.models.registry import register_family, register_model
from dse.models.squeezenext import SqueezeNext, SqueezeNextConfig


class SqNxtConfig(SqueezeNextConfig):
    """SqueezeNext's dimensions with the baseline's order and stem padding as defaults."""

    order: Literal[ORDERS] = "conv-bn-act"  # type: ignore[valid-type]
    stem_padding: int = Field(default=1, ge=0, le=1, strict=True)


@register_family("sqnxt", SqNxtConfig)
def sqnxt(cfg: SqNxtConfig) -> SqueezeNext:
    """The SqueezeNext baseline (CIFAR form): conv-BN-ReLU, padded stem."""
    return SqueezeNext(cfg)


register_model("sqnxt-23-1x", "sqnxt", "SqNxt-23-1x-v1", ("cifar10", "cifar100"),
               blocks=(6, 6, 8, 1), width=1.0)
register_model("sqnxt-23-2x", "sqnxt", "SqNxt-23-2x-v1", blocks=(6, 6, 8, 1), width=2.0)

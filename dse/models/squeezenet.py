"""SqueezeNet v1.0 / v1.1 in CIFAR form (torchvision's definitions, adaptive pooling)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator
from torch import nn

from dse.models.config import FamilyConfig
from dse.models.registry import register_family, register_model


class SqueezeNetConfig(FamilyConfig):
    """torchvision's SqueezeNet: its version and the dropout before the final conv."""

    version: Literal["1.0", "1.1"] = "1.0"
    dropout: float = Field(default=0.5, ge=0.0, lt=1.0, strict=True)
    summary_keys: ClassVar[tuple[str, ...]] = ("version",)

    @model_validator(mode="after")
    def _rgb_only(self):
        if self.in_channels != 3:
            raise ValueError("torchvision's SqueezeNet takes RGB images (3 channels); use "
                             "the hps family for other channel counts")
        return self


@register_family("squeezenet", SqueezeNetConfig)
def squeezenet(cfg: SqueezeNetConfig) -> nn.Module:
    """torchvision's SqueezeNet: final 1x1 conv 512 -> classes, adaptive average pool."""
    # importing torchvision loads all its models and torch._dynamo (~2.5 s of start-up)
    # lazy: only a SqueezeNet build needs torchvision
    import torchvision

    fn = {"1.0": torchvision.models.squeezenet1_0, "1.1": torchvision.models.squeezenet1_1}
    return fn[cfg.version](weights=None, num_classes=cfg.num_classes, dropout=cfg.dropout)


register_model("squeezenet-1.0", "squeezenet", "SqueezeNet-v1.0", ("cifar10", "cifar100"),
               version="1.0")
register_model("squeezenet-1.1", "squeezenet", "SqueezeNet-v1.1", version="1.1")

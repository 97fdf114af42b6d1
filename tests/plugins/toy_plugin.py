"""A toy model family, metric and scheduler, registered from test code only.

Loaded by the CLI through DSE_PLUGINS=toy_plugin (with this folder on PYTHONPATH), to show
that dse grows without edits to its own files (tests/test_extending.py).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from dse.metrics import Metric, register_metric
from dse.models import FamilyConfig, register_family, register_model
from dse.search.schedulers import Scheduler, register_scheduler


class TinyConfig(FamilyConfig):
    """A plain stack of 3x3 convolutions: how wide and how deep."""

    channels: int = Field(default=8, ge=2, le=64)
    depth: int = Field(default=1, ge=1, le=4)


@register_family("tiny", TinyConfig)
def tiny(cfg: TinyConfig) -> nn.Module:
    """Conv-BN-ReLU x depth, global pooling, a linear classifier."""
    layers, cin = [], 3
    for _ in range(cfg.depth):
        layers += [nn.Conv2d(cin, cfg.channels, 3, padding=1), nn.BatchNorm2d(cfg.channels),
                   nn.ReLU()]
        cin = cfg.channels
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(cin, cfg.num_classes))


register_model("tiny-8", "tiny", channels=8)


def conv_layers(model: nn.Module, ctx) -> int:
    """Number of convolution layers of the built model."""
    return sum(isinstance(m, nn.Conv2d) for m in model.modules())


register_metric(Metric("conv_layers", "minimize", "convolution layers", "layers", True,
                       conv_layers, digits=".0f"))


class EveryOtherOptions(BaseModel):
    """Stop trials whose number modulo `every` is not zero, after `epoch` epochs."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    every: int = Field(default=2, ge=2)
    epoch: int = Field(default=1, ge=1)


@register_scheduler
class EveryOther(Scheduler):
    """A deterministic toy: keeps trials 0, every, 2 * every, ... and stops the others."""

    name = "every_other"
    Options = EveryOtherOptions

    def rungs(self) -> list[int]:
        return [self.options.epoch]

    def decide(self, report) -> str | None:
        if report.epoch == self.options.epoch and report.trial.number % self.options.every:
            return (f"toy scheduler: trial {report.trial.number} stopped at epoch "
                    f"{report.epoch} with conv_layers={report.values['conv_layers']:.0f}")
        return None

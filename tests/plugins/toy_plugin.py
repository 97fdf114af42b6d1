"""A toy model family, two metrics (one known before training, one after), a scheduler, a
sampler and a learning-rate schedule, registered from test code only.

Loaded by the CLI through DSE_PLUGINS=toy_plugin (with this folder on PYTHONPATH), to show
that dse grows without edits to its own files (tests/test_extending.py).
"""

from __future__ import annotations

import optuna
from pydantic import BaseModel, ConfigDict, Field
from torch import nn
from torch.optim.lr_scheduler import LambdaLR

from dse.metrics import register_metric
from dse.models import FamilyConfig, register_family, register_model
from dse.search.samplers import register_sampler
from dse.search.schedulers import Scheduler, register_scheduler
from dse.train.schedules import Schedule, register_schedule


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


@register_metric("conv_layers", direction="minimize", label="convolution layers",
                 unit="layers", arch=True, digits=".0f")
def conv_layers(model: nn.Module, ctx) -> int:
    """Number of convolution layers of the built model."""
    return sum(isinstance(m, nn.Conv2d) for m in model.modules())


@register_metric("final_train_loss", direction="minimize", label="final training loss",
                 unit="", arch=False, digits=".3f")
def final_train_loss(model: nn.Module, ctx) -> float:
    """The last epoch's training loss: a metric measured after training."""
    return ctx.history[-1]["train_loss"]


class EveryOtherOptions(BaseModel):
    """Stop trials whose number modulo `every` is not zero, after `epoch` epochs."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    every: int = Field(default=2, ge=2)
    epoch: int = Field(default=1, ge=1)


@register_scheduler("every_other", EveryOtherOptions)
class EveryOther(Scheduler):
    """A deterministic toy: keeps trials 0, every, 2 * every, ... and stops the others."""

    def rungs(self) -> list[int]:
        return [self.options.epoch]

    def decide(self, report) -> str | None:
        if report.epoch == self.options.epoch and report.trial.number % self.options.every:
            return (f"toy scheduler: trial {report.trial.number} stopped at epoch "
                    f"{report.epoch} with conv_layers={report.values['conv_layers']:.0f}")
        return None


class ShiftedOptions(BaseModel):
    """A random sampler whose seed is shifted by `shift`."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    shift: int = Field(default=0, ge=0)


@register_sampler("shifted_random", ShiftedOptions, first_generation=lambda o, n: 0)
def shifted_random(space, seed: int, options: ShiftedOptions):
    """Optuna's random sampler, seeded with seed + shift."""
    return optuna.samplers.RandomSampler(seed=seed + options.shift)


class HalfwayOptions(BaseModel):
    """Multiply the learning rate by `factor` once, halfway through the run."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    factor: float = Field(default=0.5, gt=0.0, le=1.0)


@register_schedule("halfway", HalfwayOptions)
class Halfway(Schedule):
    """A one-step toy schedule: full rate, then `factor` times it from the middle on."""

    @classmethod
    def build(cls, opt, o, epochs, spe, steps):
        half = max(1, steps // 2)
        return LambdaLR(opt, lambda step: 1.0 if step < half else o.factor)

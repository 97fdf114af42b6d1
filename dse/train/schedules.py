"""Learning-rate schedules: one registry entry each, with validated options in epochs.

Each entry is a class with a pydantic `Options` model (what a space or `--sched-arg` may
set; misspelt or mistyped options are refused when a space loads) and `build`, which
turns the options into a torch scheduler stepped once per iteration. To add a schedule,
subclass `Schedule` and decorate it with `@register_schedule("name", Options)`.
"""

from __future__ import annotations

import math
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field
from torch.optim import lr_scheduler as sched

from dse.registry import NoOptions, Registry

SCHEDULES: Registry[type[Schedule]] = Registry("learning-rate schedule")
register_schedule = SCHEDULES.decorator  # @register_schedule("name", Options, own_warmup=...)


class Options(BaseModel):
    """Base of schedule options: unknown keys and strings for numbers are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Schedule:
    """A schedule: `name`, `Options`, whether it has its own warm-up, and `build`."""

    name: ClassVar[str] = ""
    Options: ClassVar[type[BaseModel]] = NoOptions
    own_warmup: ClassVar[bool] = False

    @classmethod
    def build(cls, opt, o, epochs: int, spe: int, steps: int) -> sched.LRScheduler:
        """The torch scheduler for `epochs` epochs of `spe` steps; `steps` excludes warm-up."""
        raise NotImplementedError


def _quarter(epochs: int) -> int:
    return max(1, epochs // 4)


@register_schedule("constant")
class Constant(Schedule):
    """The learning rate stays where it starts."""

    @classmethod
    def build(cls, opt, o, epochs, spe, steps):  # noqa: D102
        return sched.LambdaLR(opt, _Constant())


class StepOptions(Options):
    """Multiply by `gamma` every `step_epochs` (default: a quarter of the epochs)."""

    step_epochs: float | None = Field(default=None, gt=0)
    gamma: float = Field(default=0.1, gt=0.0, le=1.0)


@register_schedule("step", StepOptions)
class Step(Schedule):
    """Step decay: the papers' "four learning rates with an exponential update"."""

    @classmethod
    def build(cls, opt, o, epochs, spe, steps):  # noqa: D102
        every = o.step_epochs if o.step_epochs is not None else _quarter(epochs)
        return sched.StepLR(opt, step_size=max(1, int(every * spe)), gamma=o.gamma)


class MultiStepOptions(Options):
    """Multiply by `gamma` at each of `milestones` (epochs; default 50 % and 75 %)."""

    milestones: list[float] | None = None
    gamma: float = Field(default=0.1, gt=0.0, le=1.0)


@register_schedule("multistep", MultiStepOptions)
class MultiStep(Schedule):
    """Decay at given epochs."""

    @classmethod
    def build(cls, opt, o, epochs, spe, steps):  # noqa: D102
        ms = o.milestones or [math.ceil(epochs * 0.5), math.ceil(epochs * 0.75)]
        return sched.MultiStepLR(opt, [int(m * spe) for m in ms], gamma=o.gamma)


class ExponentialOptions(Options):
    """Multiply by `gamma` per epoch (spread over its steps)."""

    gamma: float = Field(default=0.95, gt=0.0, le=1.0)


@register_schedule("exponential", ExponentialOptions)
class Exponential(Schedule):
    """Exponential decay."""

    @classmethod
    def build(cls, opt, o, epochs, spe, steps):  # noqa: D102
        return sched.ExponentialLR(opt, gamma=o.gamma ** (1 / spe))


class CosineOptions(Options):
    """Cosine from the initial rate down to `eta_min`."""

    eta_min: float = Field(default=0.0, ge=0.0)


@register_schedule("cosine", CosineOptions)
class Cosine(Schedule):
    """Cosine annealing over the run (after any warm-up)."""

    @classmethod
    def build(cls, opt, o, epochs, spe, steps):  # noqa: D102
        return sched.CosineAnnealingLR(opt, T_max=max(1, steps), eta_min=o.eta_min)


class RestartsOptions(Options):
    """First period `t0_epochs` (default a quarter), each next `t_mult` times longer."""

    t0_epochs: float | None = Field(default=None, gt=0)
    t_mult: int = Field(default=1, ge=1)


@register_schedule("cosine_restarts", RestartsOptions)
class CosineRestarts(Schedule):
    """Cosine with warm restarts (SGDR)."""

    @classmethod
    def build(cls, opt, o, epochs, spe, steps):  # noqa: D102
        t0 = o.t0_epochs if o.t0_epochs is not None else _quarter(epochs)
        return sched.CosineAnnealingWarmRestarts(opt, T_0=max(1, int(t0 * spe)),
                                                 T_mult=o.t_mult)


class CyclicOptions(Options):
    """Triangular cycles of `cycle_epochs` between base_fraction x lr and lr."""

    cycle_epochs: float | None = Field(default=None, gt=0)
    base_fraction: float = Field(default=0.1, gt=0.0, le=1.0)


@register_schedule("cyclic", CyclicOptions, own_warmup=True)
class Cyclic(Schedule):
    """Cyclical learning rates (triangular)."""

    @classmethod
    def build(cls, opt, o, epochs, spe, steps):  # noqa: D102
        lr = opt.param_groups[0]["lr"]
        cycle = o.cycle_epochs if o.cycle_epochs is not None else _quarter(epochs)
        return sched.CyclicLR(opt, base_lr=lr * o.base_fraction, max_lr=lr,
                              step_size_up=max(1, int(cycle * spe / 2)), cycle_momentum=False)


class OneCycleOptions(Options):
    """Rise for the first `pct_start` of the run, then anneal."""

    pct_start: float = Field(default=0.25, gt=0.0, lt=1.0)


@register_schedule("onecycle", OneCycleOptions, own_warmup=True)
class OneCycle(Schedule):
    """One-cycle (Smith): warm-up included."""

    @classmethod
    def build(cls, opt, o, epochs, spe, steps):  # noqa: D102
        return sched.OneCycleLR(opt, max_lr=opt.param_groups[0]["lr"],
                                total_steps=max(2, steps), pct_start=o.pct_start,
                                cycle_momentum=False)


class TimeOptions(Options):
    """lr = lr0 / (1 + decay x epoch)."""

    decay: float = Field(default=0.1, ge=0.0)


@register_schedule("time", TimeOptions)
class TimeDecay(Schedule):
    """Time-based decay, evaluated at fractional epochs."""

    @classmethod
    def build(cls, opt, o, epochs, spe, steps):  # noqa: D102
        return sched.LambdaLR(opt, _TimeDecay(o.decay, spe))


class _Constant:
    def __call__(self, step: int) -> float:
        return 1.0


class _TimeDecay:
    """lr = lr0 / (1 + decay * epoch), evaluated at fractional epochs."""

    def __init__(self, decay: float, spe: int):
        self.decay, self.spe = decay, spe

    def __call__(self, step: int) -> float:
        return 1.0 / (1.0 + self.decay * step / self.spe)

"""Optimizers and learning-rate schedules by name; schedules step once per iteration."""

from __future__ import annotations

import inspect
import math

import torch
from pytorch_optimizer import AdaBound
from torch.optim import lr_scheduler as sched

from dse.errors import ConfigError

OPTIMIZERS = {
    "sgd": torch.optim.SGD, "asgd": torch.optim.ASGD, "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW, "adagrad": torch.optim.Adagrad,
    "adadelta": torch.optim.Adadelta, "adamax": torch.optim.Adamax,
    "rmsprop": torch.optim.RMSprop, "rprop": torch.optim.Rprop, "adabound": AdaBound,
}
SCHEDULES = ("constant", "step", "multistep", "exponential", "cosine", "cosine_restarts",
             "cyclic", "onecycle", "time")


def make_optimizer(name: str, params, lr: float, weight_decay: float = 0.0,
                   **kwargs) -> torch.optim.Optimizer:
    """Build optimizer `name` with its own keyword arguments (momentum, nesterov, betas...)."""
    cls = OPTIMIZERS.get(name.lower())
    if cls is None:
        raise ConfigError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}.")
    allowed = inspect.signature(cls.__init__).parameters
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ConfigError(f"optimizer {name!r} does not take {unknown}; it takes "
                          f"{sorted(set(allowed) - {'self', 'params', 'kwargs'})}.")
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    if "weight_decay" in allowed:
        kwargs["weight_decay"] = weight_decay
    elif weight_decay:
        raise ConfigError(f"optimizer {name!r} has no weight decay; set weight_decay to 0.")
    try:
        return cls(params, lr=lr, **kwargs)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"optimizer {name!r}: {exc}") from None


def make_scheduler(name: str, optimizer: torch.optim.Optimizer, epochs: int,
                   steps_per_epoch: int, warmup_epochs: float = 0.0,
                   **kw) -> sched.LRScheduler:
    """Build schedule `name`; its parameters are in epochs and converted to iterations.

    step: step_epochs (default epochs/4), gamma (0.1). multistep: milestones in epochs
    (default 50% and 75%), gamma (0.1). exponential: gamma per epoch (0.95). cosine:
    eta_min (0). cosine_restarts: t0_epochs (epochs/4), t_mult (1). cyclic: cycle_epochs
    (epochs/4), base_fraction (0.1). onecycle: pct_start (0.25). time: decay per epoch (0.1).
    """
    spe, total = steps_per_epoch, epochs * steps_per_epoch
    warm = int(round(warmup_epochs * spe))
    try:
        main = _schedule(name.lower(), optimizer, epochs, spe, total - warm, kw)
    except TypeError as exc:
        raise ConfigError(f"schedule {name!r}: {exc}") from None
    if warm <= 0:
        return main
    if name in ("cyclic", "onecycle"):
        raise ConfigError(f"schedule {name!r} has its own warm-up; set warmup_epochs to 0.")
    ramp = sched.LinearLR(optimizer, start_factor=1e-2, total_iters=warm)
    return sched.SequentialLR(optimizer, [ramp, main], milestones=[warm])


def _schedule(name: str, opt, epochs: int, spe: int, steps: int, kw: dict):
    lr = opt.param_groups[0]["lr"]
    q = max(1, epochs // 4)
    if name == "constant":
        return sched.LambdaLR(opt, _Constant())
    if name == "step":
        return sched.StepLR(opt, step_size=int(kw.pop("step_epochs", q) * spe),
                            gamma=kw.pop("gamma", 0.1), **kw)
    if name == "multistep":
        ms = kw.pop("milestones", [math.ceil(epochs * 0.5), math.ceil(epochs * 0.75)])
        return sched.MultiStepLR(opt, [int(m * spe) for m in ms], gamma=kw.pop("gamma", 0.1),
                                 **kw)
    if name == "exponential":
        return sched.ExponentialLR(opt, gamma=kw.pop("gamma", 0.95) ** (1 / spe), **kw)
    if name == "cosine":
        return sched.CosineAnnealingLR(opt, T_max=max(1, steps), eta_min=kw.pop("eta_min", 0.0),
                                       **kw)
    if name == "cosine_restarts":
        return sched.CosineAnnealingWarmRestarts(
            opt, T_0=max(1, int(kw.pop("t0_epochs", q) * spe)), T_mult=int(kw.pop("t_mult", 1)),
            **kw)
    if name == "cyclic":
        half = max(1, int(kw.pop("cycle_epochs", q) * spe / 2))
        return sched.CyclicLR(opt, base_lr=lr * kw.pop("base_fraction", 0.1), max_lr=lr,
                              step_size_up=half, cycle_momentum=False, **kw)
    if name == "onecycle":
        return sched.OneCycleLR(opt, max_lr=lr, total_steps=max(2, steps),
                                pct_start=kw.pop("pct_start", 0.25), cycle_momentum=False, **kw)
    if name == "time":
        return sched.LambdaLR(opt, _TimeDecay(kw.pop("decay", 0.1), spe))
    raise ConfigError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}.")


class _Constant:
    def __call__(self, step: int) -> float:
        return 1.0


class _TimeDecay:
    """lr = lr0 / (1 + decay * epoch), evaluated at fractional epochs."""

    def __init__(self, decay: float, spe: int):
        self.decay, self.spe = decay, spe

    def __call__(self, step: int) -> float:
        return 1.0 / (1.0 + self.decay * step / self.spe)

"""Optimizers by name (a registry entry each, options read from their signatures) and the
learning-rate schedule a run steps once per iteration (dse.train.schedules)."""

from __future__ import annotations

import functools
import inspect
from typing import Any

import torch
from pydantic import ConfigDict, Field, StrictBool, create_model
from torch.optim import lr_scheduler as sched

from dse.errors import ConfigError
from dse.registry import Registry, check_options
from dse.train.schedules import SCHEDULES

OPTIMIZERS: Registry[type[torch.optim.Optimizer]] = Registry("optimizer")


def register_optimizer(name: str, *, lazy: bool = False):
    """`register_optimizer("name")(OptimizerClass)`, or as a class decorator: its options
    model is read from the class's signature (`optimizer_options`). With `lazy=True` it
    decorates a function returning the class, called on first use (a slow import)."""
    def wrap(item):
        if lazy:
            OPTIMIZERS.register_lazy(name, item)
        else:
            OPTIMIZERS.register(name, item)
        return item
    return wrap


for _name, _cls in {
    "sgd": torch.optim.SGD, "asgd": torch.optim.ASGD, "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW, "adagrad": torch.optim.Adagrad,
    "adadelta": torch.optim.Adadelta, "adamax": torch.optim.Adamax,
    "rmsprop": torch.optim.RMSprop, "rprop": torch.optim.Rprop,
}.items():
    register_optimizer(_name)(_cls)  # torch's own classes, registered as they are


@register_optimizer("adabound", lazy=True)
def _adabound() -> type[torch.optim.Optimizer]:
    # pytorch_optimizer imports torch.distributed.tensor (~0.9 s of start-up)
    # lazy: only a run with AdaBound needs it
    from pytorch_optimizer import AdaBound

    return AdaBound


NOT_OPTIONS = {"self", "params", "kwargs", "weight_decay"}  # weight decay is a recipe key


@functools.cache
def optimizer_options(name: str):
    """A pydantic model of optimizer `name`'s keyword arguments, typed from their defaults:
    numbers take numbers (not strings), flags take booleans, tuples take lists of numbers;
    `lr` must be positive."""
    cls = OPTIMIZERS.get(name)
    fields: dict[str, Any] = {"lr": (float, Field(default=0.1, gt=0.0))}
    for pname, p in inspect.signature(cls.__init__).parameters.items():
        if pname in NOT_OPTIONS or pname == "lr" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        d = p.default
        if isinstance(d, bool):
            fields[pname] = (StrictBool, d)
        elif isinstance(d, int | float):
            fields[pname] = (float, float(d))
        elif isinstance(d, tuple):
            fields[pname] = (tuple[float, ...], d)
        else:
            fields[pname] = (Any, None if d is inspect.Parameter.empty else d)
    return create_model(f"{name}_options", __config__=ConfigDict(
        extra="forbid", strict=True, arbitrary_types_allowed=True), **fields)


def make_optimizer(name: str, params, lr: float, weight_decay: float = 0.0,
                   **kwargs) -> torch.optim.Optimizer:
    """Build optimizer `name` with its own keyword arguments (momentum, nesterov, betas...)."""
    cls = OPTIMIZERS.get(name)
    try:
        check_options(optimizer_options(name), {"lr": lr, **kwargs}, f"optimizer {name}")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    allowed = inspect.signature(cls.__init__).parameters
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
    """Build schedule `name` with its options (in epochs), after a linear warm-up of
    `warmup_epochs`; see dse.train.schedules for each schedule's options."""
    schedule = SCHEDULES.get(name)
    try:
        options = check_options(schedule.Options, kw, f"schedule {name}")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    spe, total = steps_per_epoch, epochs * steps_per_epoch
    warm = int(round(warmup_epochs * spe))
    main = schedule.build(optimizer, options, epochs, spe, total - warm)
    if warm <= 0:
        return main
    if schedule.own_warmup:
        raise ConfigError(f"schedule {name!r} has its own warm-up; set warmup_epochs to 0.")
    ramp = sched.LinearLR(optimizer, start_factor=1e-2, total_iters=warm)
    return sched.SequentialLR(optimizer, [ramp, main], milestones=[warm])

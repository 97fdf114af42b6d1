"""The recipe part of a search space (`training:`): optimizer and schedule branches, each
with its own parameters, and the plain recipe dimensions, checked against the registries'
options when a space loads."""

from __future__ import annotations

from typing import Any

from pydantic import field_validator

from dse.errors import ConfigError
from dse.registry import check_options
from dse.search.dims import OPTIONAL_RECIPE_KEYS, RECIPE_KEYS, _Strict, parse_dim, values
from dse.train.optim import OPTIMIZERS, optimizer_options
from dse.train.recipe import DEFAULT_RECIPE, TrainConfig
from dse.train.schedules import SCHEDULES

_R = DEFAULT_RECIPE


class TrainingSpace(_Strict):
    """The recipe dimensions; optimizer and schedule map each choice to its own parameters.

    Unset keys take the default recipe (dse.train.recipe.DEFAULT_RECIPE).
    """

    optimizer: dict[str, dict[str, Any]] = {_R.optimizer: {"lr": _R.lr, **_R.optimizer_kwargs}}
    schedule: dict[str, dict[str, Any]] = {_R.schedule: dict(_R.schedule_kwargs)}
    batch_size: Any = _R.batch_size
    weight_decay: Any = _R.weight_decay
    label_smoothing: Any = _R.label_smoothing
    augment: Any = _R.augment
    warmup_epochs: Any = _R.warmup_epochs
    ema_decay: Any = _R.ema_decay
    policy: Any = _R.policy
    erasing: Any = _R.erasing
    mix: Any = _R.mix
    mix_alpha: Any = _R.mix_alpha
    mix_ramp: Any = _R.mix_ramp
    precision: Any = _R.precision

    _dims = field_validator("batch_size", "weight_decay", "label_smoothing", "augment",
                            "warmup_epochs", "ema_decay", *OPTIONAL_RECIPE_KEYS, mode="before")(
        classmethod(lambda cls, v: parse_dim(v)))

    @field_validator(*OPTIONAL_RECIPE_KEYS)
    @classmethod
    def _in_range(cls, v, info):
        for value in values(v):  # every value the dimension can reach
            try:
                TrainConfig(**{info.field_name: value}).check()
            except ConfigError as exc:
                raise ValueError(str(exc).rstrip(".")) from None
        return v

    def recipe_keys(self) -> tuple[str, ...]:
        """The plain recipe dimensions a candidate carries: the usual ones, and the
        optional ones this space sets."""
        return RECIPE_KEYS + tuple(k for k in OPTIONAL_RECIPE_KEYS if k in self.model_fields_set)

    @field_validator("optimizer", "schedule", mode="before")
    @classmethod
    def _branches(cls, v, info):
        if isinstance(v, str):
            v = {v: {}}
        if not isinstance(v, dict) or not v:
            raise ValueError("a name, or a mapping of names to their parameters")
        registry = OPTIMIZERS if info.field_name == "optimizer" else SCHEDULES
        out = {}
        for name, params in v.items():
            registry.get(name)  # UnknownName (a ValueError) lists what exists
            if params is not None and not isinstance(params, dict):
                raise ValueError(f"the parameters of {name!r} must be a mapping")
            out[name] = {str(k): parse_dim(d) for k, d in (params or {}).items()}
            options = (optimizer_options(name) if info.field_name == "optimizer"
                       else SCHEDULES.get(name).Options)
            for key, dim in out[name].items():  # every value a dimension can reach
                for value in values(dim):
                    check_options(options, {key: value}, name)
        return out

"""The model part of a search space (`model:`): registered variants, or a family and its
dimensions, each value (or every value a range can reach) checked by the family's config."""

from __future__ import annotations

import random
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from dse.errors import ConfigError
from dse.models import get_family, list_models
from dse.search.dims import (
    _first_error,
    check_dimensions,
    check_values,
    draw,
    keyed,
    parse_dim,
    values,
)


class ModelSpace(BaseModel):
    """The architecture: registered variants (`name`), or a `family` and its dimensions.

    Every other key is a dimension of the family, checked by the family's config: a value
    (or every value a range can reach) that the family cannot build is refused here.
    A list dimension is given whole (`blocks: [2, 4, 12, 1]`, `{choices: [[...], [...]]}`)
    or element by element (`blocks: [{int: [1, 3]}, 2, {int: [1, 16]}, 1]`).
    """

    model_config = ConfigDict(frozen=True)
    name: Any = None  # registered model names (fixed or choices)
    family: str | None = None
    dims: dict[str, Any] = {}

    @model_validator(mode="before")
    @classmethod
    def _split(cls, raw: Any):
        if not isinstance(raw, dict):
            raise ValueError("model must be a mapping: {family: ..., dimensions...} or "
                             "{name: ...}")
        raw = dict(raw)
        out = {"name": raw.pop("name", None), "family": raw.pop("family", None)}
        dims, errors = {}, []
        for key, value in [("name", out["name"]), *raw.items()]:
            try:
                if isinstance(value, list) and any(isinstance(v, dict) for v in value):
                    parsed = [parse_dim(v) for v in value]
                else:
                    parsed = parse_dim(value)
            except (ValueError, ValidationError) as exc:
                errors.append(f"model.{str(key)[:40]}: {_first_error(exc)}")
                continue
            if key == "name":
                out["name"] = parsed
            else:
                dims[str(key)] = parsed
        if errors:
            raise keyed(errors)
        out["dims"] = dims
        return out

    @model_validator(mode="after")
    def _check(self):
        if (self.name is None) == (self.family is None):
            raise ValueError("give either model.name (registered models) or model.family")
        if self.name is not None:
            if self.dims:
                raise ValueError(f"model.name takes no dimensions ({list(self.dims)[:5]}); "
                                 f"search dimensions with model.family")
            check_values(self.name, list_models(), "model.name")
            return self
        try:
            family = get_family(self.family)
        except ConfigError as exc:
            raise keyed([f"model.family: {exc}"]) from None
        errors = check_dimensions(family.config, self.dims)
        if errors:
            raise keyed(errors)
        return self

    def draw(self, rng: random.Random, override: dict | None = None) -> dict:
        """A model spec drawn uniformly from the dimensions (those in `override` replaced by
        its dimensions), without Optuna: for training a supernet over the space."""
        spec: dict[str, Any] = {"name": self.family}
        for key, dim in {**self.dims, **(override or {})}.items():
            value = ([draw(d, rng) for d in dim] if isinstance(dim, list) else draw(dim, rng))
            if value is not None:
                spec[key] = value
        return spec

    def extreme(self, largest: bool, override: dict | None = None) -> dict:
        """The spec of the space's largest (or smallest) network: most (fewest) blocks and
        channels, widest (narrowest) squeezes and kernels, strides 1 (2), dropout 0;
        dimensions in `override` replace the space's."""
        spec: dict[str, Any] = {"name": self.family}
        for key, dim in {**self.dims, **(override or {})}.items():
            value = ([_end(key, d, largest) for d in dim] if isinstance(dim, list)
                     else _end(key, dim, largest))
            if value is not None:
                spec[key] = value
        return spec


#: Dimensions where a smaller value is the larger network; those where neither is (fixed
#: by the caller) keep their first value.
_SMALLER_IS_LARGER = ("strides", "stem_stride")
_KERNELS = {"dw3": 3, "dw5": 5}


def _end(key: str, dim: Any, largest: bool) -> Any:
    options = values(dim)
    if key == "dropout":
        return min(options)
    if key == "conv3":
        if all(o in _KERNELS for o in options):
            pick = max if largest else min
            return pick(options, key=_KERNELS.get)
        return options[0]
    if not all(isinstance(o, int | float) and not isinstance(o, bool) for o in options):
        return options[0]
    up = largest != (key in _SMALLER_IS_LARGER)
    return max(options) if up else min(options)

"""Model registry in the style of timm: every variant is a registered name plus its config."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field

from torch import nn

from dse.errors import ConfigError
from dse.models.squeezenet import squeezenet
from dse.models.squeezenext import hps, sqnxt


@dataclass(frozen=True)
class ModelEntry:
    """A registered name: its builder, its fixed arguments, and the papers' name for it."""

    name: str
    builder: Callable[..., nn.Module]
    kwargs: dict = field(default_factory=dict)
    paper_name: str | None = None  # the model column of published_results.csv
    datasets: tuple[str, ...] = ("cifar10",)

    @property
    def blocks(self) -> list[int] | None:
        """Stage configuration, or None for non-SqueezeNext models."""
        b = self.kwargs.get("blocks")
        return list(b) if b else None

    @property
    def width(self) -> float | None:
        """Width multiplier, or None for non-SqueezeNext models."""
        return self.kwargs.get("width")


_REGISTRY: dict[str, ModelEntry] = {}
FAMILIES = {"hps": hps, "sqnxt": sqnxt}


def register(entry: ModelEntry) -> None:
    """Add a named variant to the registry."""
    _REGISTRY[entry.name] = entry


def _hps(name: str, blocks, width: float, paper: str, datasets=("cifar10",)) -> None:
    register(ModelEntry(name, hps, {"blocks": blocks, "width": width}, paper, datasets))


register(ModelEntry("squeezenet-1.0", squeezenet, {"version": "1.0"}, "SqueezeNet-v1.0",
                    ("cifar10", "cifar100")))
register(ModelEntry("squeezenet-1.1", squeezenet, {"version": "1.1"}, "SqueezeNet-v1.1"))
register(ModelEntry("sqnxt-23-1x", sqnxt, {"blocks": (6, 6, 8, 1), "width": 1.0},
                    "SqNxt-23-1x-v1", ("cifar10", "cifar100")))
register(ModelEntry("sqnxt-23-2x", sqnxt, {"blocks": (6, 6, 8, 1), "width": 2.0},
                    "SqNxt-23-2x-v1"))
_hps("hps-06-0.5x", (1, 1, 1, 1), 0.5, "HPS-06-0.5x")
_hps("hps-06-0.75x", (1, 1, 1, 1), 0.75, "HPS-06-0.75x")
_hps("hps-06-1x", (1, 1, 1, 1), 1.0, "HPS-06-1x")
_hps("hps-08-0.5x", (1, 2, 2, 1), 0.5, "HPS-08-0.5x")
_hps("hps-14-1.5x", (1, 2, 8, 1), 1.5, "HPS-14-1.5x", ("cifar10", "cifar100"))
_hps("hps-21-1x-v2", (2, 2, 14, 1), 1.0, "HPS-21-1x-v2")
_hps("hps-21-1x-v3", (2, 4, 12, 1), 1.0, "HPS-21-1x-v3")
_hps("hps-23-1x", (2, 2, 16, 1), 1.0, "HPS-23-1x", ("cifar10", "cifar100"))
_hps("hps-06-0.4x", (1, 1, 1, 1), 0.4, "HPS-06-0.4x", ("cifar100",))
_hps("hps-06-0.575x", (1, 1, 1, 1), 0.575, "HPS-06-0.575x", ("cifar100",))
_hps("hps-09-0.5x", (1, 1, 4, 1), 0.5, "HPS-09-0.5x", ("cifar100",))
_hps("hps-14-1x", (1, 2, 8, 1), 1.0, "HPS-14-1x", ("cifar100",))
_hps("hps-25-1x", (2, 4, 16, 1), 1.0, "HPS-25-1x", ("cifar100",))


def list_models(pattern: str = "*") -> list[str]:
    """Registered names matching a shell-style pattern, e.g. "hps-*"."""
    return sorted(n for n in _REGISTRY if fnmatch.fnmatch(n, pattern.lower()))


def get_entry(name: str) -> ModelEntry:
    """The registry entry of `name`, or a ConfigError listing the names that exist."""
    try:
        return _REGISTRY[name.lower()]
    except KeyError:
        raise ConfigError(
            f"unknown model {name!r}. Registered models: {', '.join(list_models())}; "
            f"`dse models` shows them with their sizes."
        ) from None


def create(name: str, num_classes: int = 10, **overrides) -> nn.Module:
    """Build a registered model (or a family, "hps"/"sqnxt", from keyword arguments)."""
    if name.lower() in FAMILIES:
        builder, kwargs = FAMILIES[name.lower()], {}
    else:
        entry = get_entry(name)
        builder, kwargs = entry.builder, dict(entry.kwargs)
    kwargs.update(overrides)
    try:
        return builder(num_classes=num_classes, **kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"cannot build model {name!r} with {overrides}: {exc}") from None


def input_size(model: nn.Module) -> int:
    """The input side a model expects (resolution multiplier applied), 32 by default."""
    cfg = getattr(model, "config", None)
    return cfg.input_size if cfg is not None else 32

"""Model registry in the style of timm: families register a builder and a config class,
named variants register fixed dimensions of a family.

    @register_family("hps", HPSConfig)
    def hps(cfg: HPSConfig) -> nn.Module: ...

    register_model("hps-06-0.5x", "hps", paper_name="HPS-06-0.5x", blocks=(1, 1, 1, 1),
                   width=0.5)

`create(name, num_classes, **dims)` validates the dimensions through the family's config
before anything is built, so an impossible value is a ConfigError, never a crash.
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from pydantic import ValidationError

from dse.errors import ConfigError
from dse.models.config import FamilyConfig
from dse.registry import Registry


@dataclass(frozen=True)
class Family:
    """A family of networks: its config class (the dimensions) and its builder."""

    name: str
    config: type[FamilyConfig]
    builder: Callable[[Any], Any]
    description: str = ""


@dataclass(frozen=True)
class Pretrained:
    """Weights shipped with dse for a registered variant (as timm's pretrained tags): a
    float32 state_dict under dse/models/pretrained/, its SHA-256, and what it measured."""

    file: str
    sha256: str
    dataset: str
    test_accuracy: float  # the last epoch's, on the whole test set, in PyTorch
    training: str  # recipe, epochs and seed, in words
    source: str  # the results/ folder whose run made them


@dataclass(frozen=True)
class ModelEntry:
    """A named variant: a family with fixed dimensions, and the papers' name for it."""

    name: str
    family: str
    dims: dict = field(default_factory=dict)
    paper_name: str | None = None  # the model column of published_results.csv
    datasets: tuple[str, ...] = ("cifar10",)
    pretrained: Pretrained | None = None

    def config(self, num_classes: int = 10) -> FamilyConfig:
        """The variant's validated config."""
        return make_config(self.name, num_classes)


NUM_CLASSES_OF = {"cifar10": 10, "cifar100": 100}
FAMILIES: Registry[Family] = Registry("model family", "families")
MODELS: Registry[ModelEntry] = Registry(
    "model", hint="`dse models` shows them with their sizes; a family name with dimensions "
                  "builds any other network of it")


def register_family(name: str, config: type[FamilyConfig], description: str = ""):
    """Decorator: register `builder(cfg) -> nn.Module` as family `name` with its config."""
    def wrap(builder):
        if name in MODELS:
            raise ValueError(f"model family {name!r} is already a model name")
        config.family = name
        FAMILIES.register(name, Family(name, config, builder, description or (
            builder.__doc__ or "").strip().split("\n")[0]))
        return builder
    return wrap


def register_model(name: str, family: str, paper_name: str | None = None,
                   datasets: tuple[str, ...] = ("cifar10",), pretrained: Pretrained | None = None,
                   **dims) -> ModelEntry:
    """Register a named variant of `family` (with shipped weights: `pretrained`); its
    dimensions are validated now."""
    if name in FAMILIES:
        raise ValueError(f"model {name!r} is already a family name")
    entry = MODELS.register(name, ModelEntry(name, family, dims, paper_name, tuple(datasets),
                                             pretrained))
    try:
        make_config(name)
    except ConfigError:
        MODELS.remove(name)
        raise
    return entry


def families() -> list[str]:
    """Names of the registered families."""
    return FAMILIES.names()


def get_family(name: str) -> Family:
    """The family `name`, or an UnknownName listing the families."""
    return FAMILIES.get(name)


def list_models(pattern: str = "*") -> list[str]:
    """Registered variant names matching a shell-style pattern, e.g. "hps-*"."""
    return [n for n in MODELS.names() if fnmatch.fnmatch(n, pattern.lower())]


def get_entry(name: str) -> ModelEntry:
    """The registry entry of `name`, or an UnknownName listing the names that exist."""
    return MODELS.get(name)


def family_of(name: str) -> Family:
    """The family of a variant or family name."""
    key = str(name).lower()
    return FAMILIES.get(key) if key in FAMILIES else get_family(get_entry(key).family)


def make_config(name: str, num_classes: int = 10, **overrides) -> FamilyConfig:
    """The validated config of a variant or family with `overrides` applied (the data
    set's `in_channels` and `image_size` among them)."""
    fam = family_of(name)
    dims = {} if str(name).lower() in FAMILIES else dict(get_entry(name).dims)
    dims.update(overrides)
    try:
        return fam.config(num_classes=num_classes, **dims)
    except ValidationError as exc:
        raise ConfigError(f"cannot build model {str(name)[:60]!r}: " + "; ".join(
            _describe(e) for e in exc.errors()) + ". `dse models` lists the variants; a "
            f"family's dimensions are {', '.join(fam.config.dimensions())}.") from None


def _describe(e: dict) -> str:
    loc = ".".join(str(x) for x in e["loc"]) or "<config>"
    value = e.get("input")
    shown = "" if isinstance(value, dict) else f" (got {repr(value)[:40]})"
    return f"{loc}: {e['msg']}{shown}"


def create(name: str, num_classes: int = 10, pretrained: bool = False, **overrides):
    """Build a registered variant, or a family from keyword dimensions; `pretrained` loads
    the weights dse ships for the variant (`dse models` marks which have them)."""
    if pretrained:
        weights = _pretrained_state(name, num_classes, overrides)
    cfg = make_config(name, num_classes, **overrides)
    model = family_of(name).builder(cfg)
    model.dse_config = cfg
    if pretrained:
        model.load_state_dict(weights)
    return model


PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"


def _pretrained_state(name: str, num_classes: int, overrides: dict) -> dict:
    """The shipped state_dict of variant `name`, its checksum verified."""
    key = str(name).lower()
    entry = MODELS.get(key) if key in MODELS else None
    if entry is None or entry.pretrained is None:
        have = [n for n in MODELS.names() if MODELS.get(n).pretrained is not None]
        raise ConfigError(f"dse ships no pretrained weights for {str(name)[:60]!r}; models "
                          f"with weights: {', '.join(have) or 'none'} (`dse models`).")
    p = entry.pretrained
    if overrides or num_classes != NUM_CLASSES_OF.get(p.dataset, 10):
        raise ConfigError(f"the pretrained weights of {key} fit its own dimensions and the "
                          f"{NUM_CLASSES_OF.get(p.dataset, 10)} classes of {p.dataset}; drop "
                          f"the overrides or train it (`dse train --model {key}`).")
    path = PRETRAINED_DIR / p.file
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"the pretrained weights of {key} ({path}) cannot be read "
                          f"({type(exc).__name__}); reinstall dse.") from None
    if hashlib.sha256(data).hexdigest() != p.sha256:
        raise ConfigError(f"the pretrained weights of {key} ({path}) do not match their "
                          f"SHA-256; the file is damaged: reinstall dse.")
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


def describe(spec: dict, cfg: FamilyConfig) -> str:
    """A named variant's name when the spec is just that name, else the config's summary."""
    name = str(spec.get("name", ""))
    if set(spec) == {"name"} and name.lower() in MODELS:
        return name.lower()
    return cfg.summary()


def model_spec(name: str, **overrides) -> dict:
    """The plain-data description that `build` turns back into a model."""
    return {"name": name, **{k: v for k, v in overrides.items() if v is not None}}


def check_spec(spec: Any) -> dict:
    """A spec (from a checkpoint or a store) checked to be {"name": str, dims...}."""
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not (
            0 < len(spec["name"]) <= 64):
        raise ConfigError(f"a model spec is a mapping with a registered 'name' and its "
                          f"dimensions; got {repr(spec)[:80]}.")
    return spec


def build_config(spec: dict, num_classes: int = 10) -> FamilyConfig:
    """The validated config of a spec (nothing is built)."""
    spec = check_spec(spec)
    return make_config(spec["name"], num_classes, **{k: v for k, v in spec.items()
                                                     if k != "name"})


def build(spec: dict, num_classes: int = 10, in_channels: int = 3, image_size: int = 32):
    """Create the model a spec describes (validated by its family's config first) for a
    data set's classes, channels and image side."""
    spec = check_spec(spec)
    dims = {k: v for k, v in spec.items() if k != "name"}
    data = {k: v for k, v in (("in_channels", in_channels), ("image_size", image_size))
            if v != FamilyConfig.model_fields[k].default}  # CIFAR's: as before
    return create(spec["name"], num_classes=num_classes, **dims, **data)


def input_size(model) -> int:
    """The input side a model expects (its config's), 32 for models built elsewhere."""
    cfg = getattr(model, "dse_config", None)
    return cfg.input_size if cfg is not None else 32


def input_channels(model) -> int:
    """The input channels a model expects (its config's), 3 for models built elsewhere."""
    cfg = getattr(model, "dse_config", None)
    return cfg.in_channels if cfg is not None else 3

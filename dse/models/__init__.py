"""Model zoo: SqueezeNet, SqueezeNext and HPS; `create(name, num_classes=...)`."""

from dse.models.registry import create, get_entry, input_size, list_models
from dse.models.squeezenext import SqueezeNext, SqueezeNextConfig

__all__ = ["SqueezeNext", "SqueezeNextConfig", "create", "get_entry", "input_size",
           "list_models"]

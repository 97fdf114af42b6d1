"""Model zoo: families (one file each, registering themselves) and their named variants.

`create("hps-21-1x-v3", num_classes=10)`, `create("hps", blocks=[1, 2, 8, 1], width=0.5)`,
`list_models("hps-*")`, `build(spec)` for a saved spec.
"""

from dse.models import hps, sqnxt, squeezenet  # noqa: F401  (each registers its family)
from dse.models.config import FamilyConfig
from dse.models.registry import (
    build,
    create,
    describe,
    families,
    family_of,
    get_entry,
    get_family,
    input_channels,
    input_size,
    list_models,
    make_config,
    model_spec,
    register_family,
    register_model,
)
from dse.models.squeezenext import SqueezeNext, SqueezeNextConfig

# isort: split
from dse.models import found  # noqa: F401  (dse's finds, after the families they use)

__all__ = ["FamilyConfig", "SqueezeNext", "SqueezeNextConfig", "build", "create", "describe",
           "families", "family_of", "get_entry", "get_family", "input_channels", "input_size",
           "list_models", "make_config", "model_spec", "register_family", "register_model"]

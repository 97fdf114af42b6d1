"""Plugins: modules that register model families, metrics, schedulers or samplers.

The CLI imports, before it parses its arguments, every module named in $DSE_PLUGINS
(comma-separated, importable from sys.path) and every entry point in the group
`dse.plugins` of installed packages. A plugin is an ordinary module whose import calls
`register_family`, `register_metric`, `register_scheduler` or `register_sampler`.
"""

from __future__ import annotations

import importlib
import os
from importlib.metadata import entry_points

from dse.errors import ConfigError


def load_plugins() -> list[str]:
    """Import the plugin modules; returns their names. A plugin that fails is a ConfigError."""
    names = [n.strip() for n in os.environ.get("DSE_PLUGINS", "").split(",") if n.strip()]
    loaded = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001  (any failure of user code is reported)
            raise ConfigError(f"plugin {name[:80]!r} from $DSE_PLUGINS could not be imported "
                              f"({type(exc).__name__}: {str(exc)[:200]}); check the module "
                              f"name and that its folder is on PYTHONPATH.") from None
        loaded.append(name)
    for ep in entry_points(group="dse.plugins"):
        try:
            ep.load()
        except Exception as exc:  # noqa: BLE001
            raise ConfigError(f"plugin {ep.name!r} ({ep.value}) of an installed package could "
                              f"not be loaded ({type(exc).__name__}: {str(exc)[:200]}).") from None
        loaded.append(ep.value)
    return loaded

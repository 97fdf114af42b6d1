"""Training: engine, optimizers and schedules, checkpoints, the default recipe.

Names load lazily, so that `dse.train.recipe` (torch-free) can be imported by the CLI
without importing torch.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "DEFAULT_RECIPE": "recipe", "TrainConfig": "recipe",
    "load_checkpoint": "checkpoint", "load_model": "checkpoint", "load_resume": "checkpoint",
    "load_weights": "checkpoint", "save_weights": "checkpoint",
    "evaluate": "engine", "fit": "engine", "resolve_device": "engine",
    "seed_everything": "engine",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"dse.train.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'dse.train' has no attribute {name!r}")

"""Training: engine, optimizers and schedules, checkpoints."""

from dse.train.checkpoint import load_checkpoint, load_weights, save_weights
from dse.train.engine import TrainConfig, evaluate, fit, resolve_device, seed_everything

__all__ = ["TrainConfig", "evaluate", "fit", "load_checkpoint", "load_weights",
           "resolve_device", "save_weights", "seed_everything"]

"""Checkpoints: weights-only (default) or full resume state; atomic writes, safe loads."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from dse.data import data_info
from dse.errors import CheckpointError, ConfigError
from dse.fileio import atomic_write_text  # noqa: F401 (re-exported)
from dse.models import build, model_spec

WEIGHTS, RESUME = "dse.weights/1", "dse.resume/1"


def atomic_save(obj: Any, path: str | Path) -> Path:
    """torch.save to a temporary file beside `path`, fsync, then rename over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_weights(path: str | Path, model: nn.Module, spec: dict) -> Path:
    """Save the float state_dict with the model spec that rebuilds it."""
    sd = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return atomic_save({"format": WEIGHTS, "model": spec, "state_dict": sd}, path)


def load_checkpoint(path: str | Path) -> dict:
    """Load a dse checkpoint (or a bare state_dict) with weights_only=True."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist; check the path (a run "
                              f"writes DIR/checkpoint.pt, a study studies/<study>/...).")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(
            f"checkpoint {path} could not be read ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200]}). It is truncated, corrupt or not a PyTorch "
            f"file; use another checkpoint or retrain."
        ) from None
    if isinstance(obj, dict) and obj.get("format") in (WEIGHTS, RESUME):
        return obj
    if isinstance(obj, dict) and all(isinstance(v, torch.Tensor) for v in obj.values()):
        return {"format": WEIGHTS, "model": None, "state_dict": obj}
    raise CheckpointError(f"{path} is a PyTorch file but not a dse checkpoint or a state_dict.")


def load_resume(path: str | Path) -> dict | None:
    """The resume state at `path` (written by training after each epoch), None when there
    is none; a CheckpointError when the file is unreadable or not a resume state."""
    if not Path(path).is_file():
        return None
    state = load_checkpoint(path)
    if state.get("format") != RESUME:
        raise CheckpointError(f"{path} is a dse checkpoint but not a resume state (a run "
                              f"writes DIR/resume.pt); pass a resume.pt or start afresh.")
    return state


def load_weights(model: nn.Module, ckpt: dict, path: str | Path = "checkpoint") -> None:
    """Copy weights into `model`, failing clearly when the architecture differs."""
    check_weights(model, ckpt, path)
    model.load_state_dict(ckpt["state_dict"])


def check_weights(model: nn.Module, ckpt: dict, path: str | Path = "checkpoint") -> None:
    """A CheckpointError unless the checkpoint's tensors have `model`'s names and shapes."""
    sd, own = ckpt["state_dict"], model.state_dict()
    missing = [k for k in own if k not in sd]
    extra = [k for k in sd if k not in own]
    shapes = [k for k in own if k in sd and tuple(sd[k].shape) != tuple(own[k].shape)]
    if missing or extra or shapes:
        saved = ckpt.get("model") or "an unknown model"
        detail = (f"shape of {shapes[0]}: checkpoint {tuple(sd[shapes[0]].shape)}, model "
                  f"{tuple(own[shapes[0]].shape)}" if shapes else
                  f"{len(missing)} missing and {len(extra)} unexpected tensors")
        raise CheckpointError(
            f"{path} was saved from another architecture ({saved}); it does not fit the "
            f"requested model ({detail}). Pass the --model the checkpoint was trained with."
        )


def load_model(path: str | Path, model: str | None = None, dataset: str = "cifar10"
               ) -> tuple[nn.Module, dict]:
    """The model a checkpoint holds, weights loaded, and its spec.

    The spec saved in the checkpoint is validated by its family's config before anything is
    built; `model` names the architecture for a bare state_dict (or overrides the saved one).
    """

    ckpt = load_checkpoint(path)
    spec = ckpt.get("model")
    if model is not None and (not isinstance(spec, dict) or spec.get("name") != model.lower()):
        spec = model_spec(model.lower())
    if spec is None:
        raise CheckpointError(f"{path} is a bare state_dict that does not say which model it "
                              f"belongs to; pass --model NAME.")
    sd = ckpt.get("state_dict")
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise CheckpointError(f"{path} has no state_dict of tensors; it is not a dse "
                              f"checkpoint. Use another checkpoint or retrain.")
    info = data_info(dataset)
    shape = {"in_channels": info.channels, "image_size": info.size}
    try:  # first on the meta device: no memory, so an absurd spec costs nothing
        with torch.device("meta"):
            shell = build(spec, info.num_classes, **shape)
    except ConfigError as exc:
        raise CheckpointError(f"{path} holds a model description dse cannot build: {exc}"
                              ) from None
    check_weights(shell, ckpt, path)  # the real model is no larger than the file
    net = build(spec, info.num_classes, **shape)
    net.load_state_dict(sd)
    return net, spec

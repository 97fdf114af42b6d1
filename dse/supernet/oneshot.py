"""Oneshot evaluation: a network's weights sliced out of a trained supernet, its BatchNorm
statistics recalibrated on training images, its accuracy measured on validation images."""

from __future__ import annotations

import torch
from torch import nn

from dse.data import Batches, Split
from dse.data.loader import resize
from dse.models.squeezenext import SqueezeNextConfig
from dse.supernet.elastic import SuperNet
from dse.train.engine import evaluate


@torch.no_grad()
def recalibrate_bn(model: nn.Module, batches: Batches, images: int) -> int:
    """Replace every BatchNorm's running statistics by their plain average over the first
    `images` training images of `batches` (in training mode, no weight changes); returns
    the images used."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the calibration batches
    model.train()
    seen = 0
    for x, _ in batches:
        if seen >= images:
            break
        x = x[:images - seen]
        model(x)
        seen += len(x)
    for m, mom in zip(bns, saved, strict=True):
        m.momentum = mom
    model.eval()
    return seen


def oneshot_evaluate(net: SuperNet, cfg: SqueezeNextConfig, calib: Split, val: Split,
                     dataset: str, calib_images: int = 2048, batch_size: int = 256,
                     device: torch.device | str = "cpu", seed: int = 0) -> dict:
    """`cfg`'s validation loss and accuracy with the supernet's weights after recalibrating
    BatchNorm on `calib_images` images of `calib` (seeded order, no augmentation).

    Both splits are resized to `cfg`'s input side when it differs from theirs."""
    net.check(cfg)
    model = net.extract(cfg).to(device)
    side = cfg.input_size
    calib, val = resize(calib, side), resize(val, side)
    device = torch.device(device)
    cal = Batches(calib, dataset, batch_size, device, train=True, augment=False, seed=seed)
    used = recalibrate_bn(model, cal, calib_images)
    ev = evaluate(model, Batches(val, dataset, batch_size, device, train=False))
    return {"accuracy": ev["accuracy"], "loss": ev["loss"], "calib_images": used,
            "val_images": len(val.labels)}

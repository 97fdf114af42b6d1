"""TrivialAugment (Mueller and Hutter, 2021) with the wide magnitudes of
torchvision's `TrivialAugmentWide`, built from torchvision's functional ops on tensors and
batched: every image draws one of the 14 operations uniformly, and the images of a batch
that drew the same operation share one magnitude (uniform over 31 bins, a random sign where
the operation has one), so a batch costs at most 14 calls. Draws come from the epoch's
generator, so an epoch's augmentation is the same on resume.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torchvision.transforms.v2.functional as TF
from torchvision.transforms import InterpolationMode

BINS = 31
_NEAREST = InterpolationMode.NEAREST


def _affine(x: torch.Tensor, **kw) -> torch.Tensor:
    args = {"angle": 0.0, "translate": [0, 0], "scale": 1.0, "shear": [0.0, 0.0], **kw}
    return TF.affine(x, interpolation=_NEAREST, fill=0, center=[0, 0], **args)


#: name -> (the largest magnitude or None, signed, op(x, magnitude)); as TrivialAugmentWide.
OPS: dict[str, tuple[float | None, bool, Callable[[torch.Tensor, float], torch.Tensor]]] = {
    "identity": (None, False, lambda x, m: x),
    "shear_x": (0.99, True, lambda x, m: _affine(x, shear=[math.degrees(math.atan(m)), 0.0])),
    "shear_y": (0.99, True, lambda x, m: _affine(x, shear=[0.0, math.degrees(math.atan(m))])),
    "translate_x": (32.0, True, lambda x, m: _affine(x, translate=[int(m), 0])),
    "translate_y": (32.0, True, lambda x, m: _affine(x, translate=[0, int(m)])),
    "rotate": (135.0, True, lambda x, m: TF.rotate(x, m, interpolation=_NEAREST, fill=0)),
    "brightness": (0.99, True, lambda x, m: TF.adjust_brightness(x, 1.0 + m)),
    "color": (0.99, True, lambda x, m: TF.adjust_saturation(x, 1.0 + m)),
    "contrast": (0.99, True, lambda x, m: TF.adjust_contrast(x, 1.0 + m)),
    "sharpness": (0.99, True, lambda x, m: TF.adjust_sharpness(x, 1.0 + m)),
    "posterize": (6.0, False, lambda x, m: TF.posterize(x, 8 - int(round(m)))),
    "solarize": (255.0, False, lambda x, m: TF.solarize(x, 255.0 - m)),
    "autocontrast": (None, False, lambda x, m: TF.autocontrast(x)),
    "equalize": (None, False, lambda x, m: TF.equalize(x)),
}
_GRAY_ONLY_SKIPS = ("color",)  # saturation needs three channels; identity for one


def trivial_augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """TrivialAugment (wide magnitudes) on a uint8 batch (B, C, H, W), batched by operation."""
    names = list(OPS)
    op = torch.randint(0, len(names), (x.shape[0],), generator=gen)
    bins = torch.randint(0, BINS, (len(names),), generator=gen)
    signs = torch.rand(len(names), generator=gen) < 0.5
    out = x.clone()
    for k, name in enumerate(names):
        idx = torch.nonzero(op == k).flatten().to(x.device)
        if idx.numel() == 0 or name == "identity" or (
                name in _GRAY_ONLY_SKIPS and x.shape[1] != 3):
            continue
        top, signed, fn = OPS[name]
        m = 0.0 if top is None else top * float(bins[k]) / (BINS - 1)
        if signed and bool(signs[k]):
            m = -m
        out[idx] = fn(x[idx], m)
    return out


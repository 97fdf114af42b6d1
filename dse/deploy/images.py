"""Test and calibration images as the exported model expects them (numpy, no torch needed
on the device): uint8 NCHW -> float32 normalised with the training set's statistics."""

from __future__ import annotations

import numpy as np


def normalise(images_u8: np.ndarray, mean: list[float], std: list[float]) -> np.ndarray:
    """uint8 NCHW -> float32 NCHW, (x / 255 - mean) / std per channel."""
    m = np.asarray(mean, np.float32).reshape(1, -1, 1, 1) * 255
    s = np.asarray(std, np.float32).reshape(1, -1, 1, 1) * 255
    return (images_u8.astype(np.float32) - m) / s


def resize_hwc(image: np.ndarray, size: int) -> np.ndarray:
    """An HxWx3 (or HxW) uint8 image resized to size x size (bilinear, PIL), same layout."""
    if image.shape[0] == size and image.shape[1] == size:
        return image
    # lazy: Pillow only when images are read
    from PIL import Image

    return np.asarray(Image.fromarray(image).resize((size, size), Image.BILINEAR))


def batches(x: np.ndarray, size: int):
    """Consecutive slices of `size` along the first axis."""
    for i in range(0, len(x), size):
        yield x[i:i + size]

"""`data_check`: what dse reads from a data set SPEC, before any study spends time on it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from dse.data import DataInfo, data_info, load_data


def _hashes(images: torch.Tensor) -> set[str]:
    return {hashlib.sha1(x.numpy().tobytes()).hexdigest() for x in images}


def data_check(spec: str, data_dir: Path | None = None) -> dict:
    """Read and validate SPEC: classes with images per class and split, channels and size,
    how the test split was made, images resized or skipped, exact duplicates between the
    training and test splits (by hash) and the per-channel statistics of the training
    images. A `DataError` (one paragraph) when the data cannot be used."""
    info: DataInfo = data_info(spec, data_dir)
    d = load_data(spec, data_dir)
    per_class = {
        name: {"train": int((d.train.labels == i).sum()), "test": int((d.test.labels == i).sum())}
        for i, name in enumerate(info.classes)}
    duplicates = len(_hashes(d.train.images) & _hashes(d.test.images))
    return {"spec": spec, "kind": info.kind, "classes": per_class, "channels": info.channels,
            "size": info.size, "train_images": info.train_images,
            "test_images": info.test_images, "split": info.split, "notes": info.size_note,
            "duplicates_train_test": duplicates, "mean": list(info.mean),
            "std": list(info.std), "summary": info.describe()}

"""Readers for the official CIFAR-10/100 layouts (binary and python-pickle), with validation."""

from __future__ import annotations

import functools
import io
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from dse.errors import DataError

IMAGE_BYTES = 3 * 32 * 32
NUM_CLASSES = {"cifar10": 10, "cifar100": 100}


@dataclass(frozen=True)
class Layout:
    """One official on-disk layout of a data set."""

    folder: str
    kind: str  # "bin" or "py"
    train: tuple[str, ...]
    test: tuple[str, ...]
    label_bytes: int = 1  # binary layout only: CIFAR-100 has coarse + fine label bytes


LAYOUTS: dict[str, tuple[Layout, ...]] = {
    "cifar10": (
        Layout("cifar-10-batches-bin", "bin",
               tuple(f"data_batch_{i}.bin" for i in range(1, 6)), ("test_batch.bin",)),
        Layout("cifar-10-batches-py", "py",
               tuple(f"data_batch_{i}" for i in range(1, 6)), ("test_batch",)),
    ),
    "cifar100": (
        Layout("cifar-100-python", "py", ("train",), ("test",)),
        Layout("cifar-100-binary", "bin", ("train.bin",), ("test.bin",), label_bytes=2),
    ),
}


@dataclass
class Split:
    """Images as uint8 NCHW and labels as int64, both on the CPU."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """Data directory: the argument, else $DSE_DATA_DIR, else ./data."""
    if data_dir is not None:
        return Path(data_dir)
    return Path(os.environ.get("DSE_DATA_DIR", "data"))


def find_layout(dataset: str, root: Path) -> tuple[Layout, Path] | None:
    """The first complete official layout of `dataset` under `root`, or None."""
    for layout in LAYOUTS[dataset]:
        folder = root / layout.folder
        if all((folder / f).is_file() for f in layout.train + layout.test):
            return layout, folder
    return None


def _read_bin(path: Path, layout: Layout, num_classes: int) -> Split:
    record = layout.label_bytes + IMAGE_BYTES
    size = path.stat().st_size
    if size == 0 or size % record:
        raise DataError(
            f"{path} is {size:,} bytes, which is not a whole number of {record}-byte CIFAR "
            f"records: the file is truncated or not a CIFAR binary batch. Replace it with a "
            f"fresh copy of the official archive (or delete the folder and use --download)."
        )
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, record)
    labels = raw[:, layout.label_bytes - 1].astype(np.int64)  # fine label is the last byte
    images = raw[:, layout.label_bytes:].reshape(-1, 3, 32, 32)
    return _check(path, images, labels, num_classes)


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles CIFAR's python batches while refusing any class but numpy arrays."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str):  # noqa: D102
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def safe_unpickle(data: bytes) -> dict:
    """A CIFAR python batch as a dict with str keys; refuses anything but numpy arrays."""
    raw = _NumpyOnlyUnpickler(io.BytesIO(data), encoding="bytes").load()
    if not isinstance(raw, dict):
        raise pickle.UnpicklingError("a CIFAR batch is a dict")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in raw.items()}


def _read_py(path: Path, layout: Layout, num_classes: int) -> Split:
    try:
        raw = _NumpyOnlyUnpickler(io.BytesIO(path.read_bytes()), encoding="bytes").load()
        batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in raw.items()}
        data = np.asarray(batch["data"], dtype=np.uint8)
        labels = np.asarray(batch["labels"] if "labels" in batch else batch["fine_labels"],
                            dtype=np.int64)
        images = data.reshape(-1, 3, 32, 32)
    except Exception as exc:  # any decoding failure is a corrupt file to the user
        raise DataError(
            f"{path} could not be read as a CIFAR python batch ({type(exc).__name__}: {exc}). "
            f"The file is truncated or corrupt; replace it with a fresh copy of the official "
            f"archive (or delete the folder and use --download)."
        ) from None
    return _check(path, images, labels, num_classes)


def _check(path: Path, images: np.ndarray, labels: np.ndarray, num_classes: int) -> Split:
    if len(images) != len(labels) or len(labels) == 0:
        raise DataError(
            f"{path} holds {len(labels):,} labels and {len(images):,} images; a CIFAR batch "
            f"holds the same non-zero number of each. Replace it with a fresh copy."
        )
    if labels.min() < 0 or labels.max() >= num_classes:
        raise DataError(
            f"{path} has labels outside 0..{num_classes - 1} (found {labels.min()}.."
            f"{labels.max()}): it is corrupt or belongs to another data set."
        )
    return Split(torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(labels))


def read_split(dataset: str, folder: Path, layout: Layout, train: bool) -> Split:
    """Read and validate the train or test split of an official layout."""
    reader = _read_bin if layout.kind == "bin" else _read_py
    parts = [reader(folder / f, layout, NUM_CLASSES[dataset])
             for f in (layout.train if train else layout.test)]
    return Split(torch.cat([p.images for p in parts]), torch.cat([p.labels for p in parts]))


def load_cifar(dataset: str = "cifar10", data_dir: str | Path | None = None,
               download: bool = False) -> tuple[Split, Split]:
    """Load (train, test) of CIFAR-10 or CIFAR-100, downloading only when allowed."""
    if dataset not in LAYOUTS:
        raise DataError(f"unknown data set {dataset!r}; choose one of {', '.join(LAYOUTS)}.")
    root = resolve_data_dir(data_dir)
    found = find_layout(dataset, root)
    if found is None and download:
        _download(dataset, root)
        found = find_layout(dataset, root)
    if found is None:
        folders = " or ".join(str(root / lay.folder) for lay in LAYOUTS[dataset])
        raise DataError(
            f"{dataset} was not found: looked for {folders} (data directory from --data-dir, "
            f"else $DSE_DATA_DIR, else ./data). Put the extracted official archive there, "
            f"point --data-dir/DSE_DATA_DIR at the folder that contains it, or pass "
            f"--download to fetch it with torchvision (needs internet)."
        )
    layout, folder = found
    return read_split(dataset, folder, layout, True), read_split(dataset, folder, layout, False)


def _download(dataset: str, root: Path) -> None:
    # lazy: torchvision only for --download
    import torchvision

    cls = torchvision.datasets.CIFAR10 if dataset == "cifar10" else torchvision.datasets.CIFAR100
    try:
        root.mkdir(parents=True, exist_ok=True)
        cls(str(root), train=True, download=True)
    except Exception as exc:
        raise DataError(
            f"downloading {dataset} into {root} failed ({exc}). Check the internet connection, "
            f"or download the official archive by hand and extract it into {root}."
        ) from None


@functools.lru_cache(maxsize=4)
def _load(dataset: str, root: str, download: bool) -> tuple[Split, Split]:
    return load_cifar(dataset, root, download)


def load_files(dataset: str, data_dir=None, download: bool = False) -> tuple[Split, Split]:
    """(train, test) as read from disk, once per process and folder."""
    return _load(dataset, str(resolve_data_dir(data_dir)), download)

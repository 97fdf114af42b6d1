"""Data sets by SPEC: one registry entry per kind of files (`cifar10`, `cifar100`, `npz`,
`imagefolder`), each reading and validating its files into (train, test) uint8 NCHW splits
with class names and a note on how the test split was made.

A SPEC is a registered name (`cifar10`, read from the data directory), a `.npz` file, a
folder (ImageFolder layout), or `KIND:PATH`; options follow as `?key=value&key=value`
(`photos/?size=64&test_fraction=0.2`). To add a kind, write a class with `Options` (a
pydantic model) and `load(path, options, data_dir) -> Loaded`, decorated with
`@register_dataset("kind", Options, needs_path=True)` (docs/extending.md).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import torch
from pydantic import BaseModel

from dse.data.cifar import Split
from dse.errors import DataError
from dse.registry import Registry, check_options


@dataclass(frozen=True)
class Loaded:
    """What a data-set entry reads: both splits, the class names and how the test split
    was made ("as given", or the stated hold-out)."""

    train: Split
    test: Split
    classes: tuple[str, ...]
    split: str = "train and test splits as given"
    size_note: str = ""  # how images of other sizes were resized, if any


@dataclass(frozen=True)
class DataInfo:
    """What everything downstream needs to know of a data set: class names, channels,
    native image side, per-channel mean and std of the training images (in [0, 1]) and how
    the test split was made."""

    spec: str
    kind: str
    classes: tuple[str, ...]
    channels: int
    size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    split: str
    train_images: int
    test_images: int
    size_note: str = ""

    @property
    def num_classes(self) -> int:  # noqa: D102
        return len(self.classes)

    def describe(self) -> str:
        """One line: 'npz data.npz: 10 classes, 1x28x28, 60,000 training images; ...'."""
        return (f"{self.spec}: {self.num_classes} classes, {self.channels}x{self.size}x"
                f"{self.size}, {self.train_images:,} training and {self.test_images:,} test "
                f"images; {self.split}" + (f"; {self.size_note}" if self.size_note else ""))


DATASETS: Registry[Any] = Registry("data set kind")
#: `@register_dataset("kind", Options, needs_path=True)` on a class with
#: `load(path, options, data_dir) -> Loaded`.
register_dataset = DATASETS.decorator


def parse_spec(spec: str) -> tuple[str, Path | None, BaseModel]:
    """(kind, path, validated options) of a SPEC; a DataError naming the forms otherwise."""
    text = str(spec).strip()
    body, _, query = text.partition("?")
    options = dict(parse_qsl(query, keep_blank_values=True)) if query else {}
    kind, path = None, None
    if ":" in body and body.split(":", 1)[0] in DATASETS:
        kind, rest = body.split(":", 1)
        path = Path(rest) if rest else None
    elif body in DATASETS and not getattr(DATASETS.get(body), "needs_path", False):
        kind = body
    elif body.endswith(".npz"):
        kind, path = "npz", Path(body)
    elif body and Path(body).is_dir():
        kind, path = "imagefolder", Path(body)
    if kind is None:
        raise DataError(
            f"data set {text[:80]!r} is neither a registered name ({', '.join(_named())}), "
            f"a .npz file, nor an existing folder (ImageFolder layout); write one of those, "
            f"or KIND:PATH with KIND one of {', '.join(DATASETS.names())}.")
    entry = DATASETS.get(kind)
    if getattr(entry, "needs_path", False) and path is None:
        raise DataError(f"data set kind {kind!r} needs a path: {kind}:PATH.")
    opts = check_options(entry.Options, options, f"data set {kind}")
    return kind, path, opts


def _named() -> list[str]:
    return [n for n in DATASETS.names() if not getattr(DATASETS.get(n), "needs_path", False)]


def is_builtin(spec: str) -> bool:
    """Whether SPEC names a registered data set read from the data directory (CIFAR)."""
    return str(spec) in _named()


@functools.lru_cache(maxsize=8)
def _load(spec: str, data_dir: str | None, download: bool) -> Loaded:
    kind, path, opts = parse_spec(spec)
    entry = DATASETS.get(kind)
    if kind in ("cifar10", "cifar100"):
        return entry().load(path, opts, data_dir, download)
    return entry().load(path, opts, data_dir)


def load_data(spec: str, data_dir: str | Path | None = None, download: bool = False) -> Loaded:
    """The data set of SPEC as read (once per process, SPEC and folder)."""
    return _load(str(spec), None if data_dir is None else str(data_dir), download)


def channel_stats(images: torch.Tensor, chunk: int = 4096) -> tuple[tuple[float, ...],
                                                                     tuple[float, ...]]:
    """Per-channel mean and std of uint8 NCHW images, in [0, 1] units, in chunks."""
    c = images.shape[1]
    s, s2, n = torch.zeros(c, dtype=torch.float64), torch.zeros(c, dtype=torch.float64), 0
    for i in range(0, len(images), chunk):
        x = images[i:i + chunk].to(torch.float64) / 255
        s += x.sum(dim=(0, 2, 3))
        s2 += (x * x).sum(dim=(0, 2, 3))
        n += x.numel() // c
    mean = s / n
    std = (s2 / n - mean * mean).clamp_min(0).sqrt()
    return (tuple(round(float(v), 4) for v in mean),
            tuple(round(max(float(v), 1e-3), 4) for v in std))


#: statistics known in advance (computed once from the training split, as `channel_stats`)
KNOWN_STATS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "cifar100": ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
}
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")
#: what a registered data set is, without reading its files
KNOWN_SHAPES: dict[str, tuple[int, int, int]] = {"cifar10": (10, 3, 32),
                                                 "cifar100": (100, 3, 32)}


def data_info(spec: str, data_dir: str | Path | None = None, download: bool = False
              ) -> DataInfo:
    """The `DataInfo` of SPEC. The CIFAR sets are known without reading their files; any
    other SPEC is read (once per process) and its statistics computed from its training
    images only."""
    spec = str(spec)
    if spec in KNOWN_SHAPES:
        classes, channels, size = KNOWN_SHAPES[spec]
        mean, std = KNOWN_STATS[spec]
        names = CIFAR10_CLASSES if spec == "cifar10" else tuple(str(i) for i in range(classes))
        return DataInfo(spec, spec, names, channels, size, mean, std,
                        "train and test splits as given", 50_000, 10_000)
    return _info(spec, None if data_dir is None else str(data_dir), download)


@functools.lru_cache(maxsize=8)
def _info(spec: str, data_dir: str | None, download: bool) -> DataInfo:
    kind, _, _ = parse_spec(spec)
    d = _load(spec, data_dir, download)
    mean, std = channel_stats(d.train.images)
    _, channels, h, w = d.train.images.shape
    return DataInfo(spec, kind, d.classes, channels, h, mean, std, d.split, len(d.train),
                    len(d.test), d.size_note)


def holdout(images: torch.Tensor, labels: torch.Tensor, fraction: float, seed: int
            ) -> tuple[Split, Split]:
    """A seeded, stratified hold-out: `fraction` of each class (at least one image) as the
    test split, the rest as the training split."""
    gen = torch.Generator().manual_seed(seed)
    train_idx, test_idx = [], []
    for c in range(int(labels.max()) + 1):
        idx = torch.nonzero(labels == c).flatten()
        idx = idx[torch.randperm(len(idx), generator=gen)]
        k = max(1, math.floor(len(idx) * fraction))
        test_idx.append(idx[:k])
        train_idx.append(idx[k:])
    tr, te = torch.cat(train_idx).sort().values, torch.cat(test_idx).sort().values
    return Split(images[tr], labels[tr]), Split(images[te], labels[te])


def check_labels(where: str, labels: torch.Tensor, classes: int, split: str) -> None:
    """A DataError unless every class has images in `split` and labels are in range."""
    if len(labels) == 0:
        raise DataError(f"{where}: the {split} split holds no images.")
    if int(labels.min()) < 0 or int(labels.max()) >= classes:
        raise DataError(f"{where}: {split} labels run {int(labels.min())}..{int(labels.max())}"
                        f", outside 0..{classes - 1}; labels are class indices from 0.")
    counts = torch.bincount(labels, minlength=classes)
    empty = [i for i, n in enumerate(counts.tolist()) if n == 0]
    if empty:
        raise DataError(f"{where}: the {split} split has no image of class(es) "
                        f"{', '.join(map(str, empty[:10]))}; every class needs images in "
                        f"both splits (or give only a training split and let dse hold out "
                        f"a test split).")


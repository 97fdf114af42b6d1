"""The data-set kinds dse reads: the CIFAR sets (official layouts, from the data directory),
`npz` arrays and `imagefolder` trees of image files (decoded once, cached as uint8)."""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

from dse.data.cifar import Split, load_cifar
from dse.data.registry import Loaded, check_labels, holdout, register_dataset
from dse.errors import DataError
from dse.fileio import atomic_write_bytes

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
MEMORY_BUDGET = 2 * 1024 ** 3  # decoded images above this are memory-mapped from the cache


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CifarOptions(_Options):
    """The CIFAR sets take no options."""


@register_dataset("cifar10", CifarOptions, needs_path=False)
class Cifar10:
    """CIFAR-10 (10 classes, 32x32 RGB) from $DSE_DATA_DIR in an official layout."""

    def load(self, path, options, data_dir=None, download: bool = False) -> Loaded:  # noqa: D102
        train, test = load_cifar(self.name, data_dir, download)
        return Loaded(train, test, tuple(str(i) for i in range(10 if self.name == "cifar10"
                                                               else 100)))


@register_dataset("cifar100", CifarOptions, needs_path=False)
class Cifar100(Cifar10):
    """CIFAR-100 (100 fine classes, 32x32 RGB) from $DSE_DATA_DIR in an official layout."""


class HoldoutOptions(_Options):
    """How a single set becomes train and test: a seeded, stratified hold-out."""

    test_fraction: float = Field(default=0.2, gt=0, lt=1)
    seed: int = Field(default=0, ge=0)


class NpzOptions(HoldoutOptions):
    """An .npz file: x_train, y_train and, optionally, x_test, y_test."""


@register_dataset("npz", NpzOptions, needs_path=True)
class Npz:
    """Arrays in an .npz file: `x_train`, `y_train`, `x_test`, `y_test` (NHWC uint8 images,
    1 or 3 channels, or NHW for one channel; integer labels from 0). Without x_test and
    y_test, a stated hold-out of the training arrays is the test split. Optional
    `class_names`: one string per class."""

    def load(self, path: Path, options: NpzOptions, data_dir=None) -> Loaded:  # noqa: D102
        try:
            with np.load(path, allow_pickle=False) as f:
                arrays = {k: f[k] for k in f.files}
        except FileNotFoundError:
            raise DataError(f"{path} does not exist; give the path of an .npz file with "
                            f"x_train, y_train, x_test, y_test.") from None
        except Exception as exc:
            raise DataError(f"{path} could not be read as an .npz file ({type(exc).__name__}"
                            f"); write it with numpy.savez (no pickled objects).") from None
        if "x_train" not in arrays or "y_train" not in arrays:
            raise DataError(f"{path} holds {', '.join(sorted(arrays)) or 'no arrays'}; it "
                            f"needs x_train and y_train (and x_test, y_test).")
        x, y = _images(path, arrays["x_train"], "x_train"), _labels(path, arrays, "y_train")
        classes = int(y.max()) + 1 if len(y) else 0
        names = _class_names(path, arrays, classes)
        classes = len(names)
        if "x_test" in arrays and "y_test" in arrays:
            xt, yt = _images(path, arrays["x_test"], "x_test"), _labels(path, arrays, "y_test")
            if xt.shape[1:] != x.shape[1:]:
                raise DataError(f"{path}: x_test images are {tuple(xt.shape[1:])}, x_train's "
                                f"{tuple(x.shape[1:])}; both splits need one shape.")
            train, test, split = Split(x, y), Split(xt, yt), "train and test arrays as given"
        else:
            train, test = holdout(x, y, options.test_fraction, options.seed)
            split = (f"test split: a stratified hold-out of {options.test_fraction:.0%} of each "
                     f"class of x_train (seed {options.seed})")
        _check_classes(str(path), train, test, classes)
        return Loaded(train, test, names, split)


def _images(path: Path, x: np.ndarray, key: str) -> torch.Tensor:
    if x.dtype != np.uint8:
        raise DataError(f"{path}: {key} is {x.dtype}, not uint8; store images as uint8 0..255 "
                        f"(e.g. (x * 255).round().astype('uint8')).")
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[-1] not in (1, 3) or x.shape[1] != x.shape[2]:
        raise DataError(f"{path}: {key} has shape {x.shape}; images are N x H x W x C with "
                        f"H == W and C 1 or 3 (or N x H x W for one channel).")
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def _labels(path: Path, arrays: dict, key: str) -> torch.Tensor:
    y = arrays[key]
    xkey = key.replace("y_", "x_")
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{path}: {key} is {y.dtype} of shape {y.shape}; labels are one "
                        f"integer class index per image.")
    if len(y) != len(arrays[xkey]):
        raise DataError(f"{path}: {key} has {len(y):,} labels for {len(arrays[xkey]):,} "
                        f"images in {xkey}.")
    if len(y) and int(y.min()) < 0:
        raise DataError(f"{path}: {key} has labels down to {int(y.min())}, outside 0..; "
                        f"labels are class indices from 0.")
    return torch.from_numpy(y.astype(np.int64))


def _class_names(path: Path, arrays: dict, classes: int) -> tuple[str, ...]:
    if "class_names" not in arrays:
        return tuple(str(i) for i in range(classes))
    names = [str(n) for n in arrays["class_names"].tolist()]
    if len(names) < classes:
        raise DataError(f"{path}: class_names lists {len(names)} names for labels up to "
                        f"{classes - 1}.")
    return tuple(names)


def _check_classes(where: str, train: Split, test: Split, classes: int) -> None:
    if classes < 2:
        raise DataError(f"{where}: {classes} class(es) found; classification needs at least "
                        f"two.")
    check_labels(where, train.labels, classes, "training")
    check_labels(where, test.labels, classes, "test")


class FolderOptions(HoldoutOptions):
    """An ImageFolder tree; `size`: the side images are resized to (default: the most
    common size); `cache`: where decoded images are kept (default: $DSE_CACHE_DIR, else
    ~/.cache/dse)."""

    size: int | None = Field(default=None, ge=4, le=1024)
    cache: str | None = None


@register_dataset("imagefolder", FolderOptions, needs_path=True)
class ImageFolder:
    """A folder of images, one sub-folder per class: `train/` and `test/` each holding the
    class folders, or the class folders only (then a stated hold-out is the test split).
    Grayscale images stay one channel (when all are); RGBA and palette images become RGB.
    Decoded once and cached as uint8 arrays keyed by the files' names, sizes and times; a
    changed folder is decoded again. Nothing is written into the folder."""

    def load(self, path: Path, options: FolderOptions, data_dir=None) -> Loaded:  # noqa: D102
        root = Path(path)
        if not root.is_dir():
            raise DataError(f"{root} is not a folder; give a folder with one sub-folder of "
                            f"images per class (or train/ and test/ holding them).")
        given = (root / "train").is_dir() and (root / "test").is_dir()
        parts = {"train": root / "train", "test": root / "test"} if given else {"all": root}
        classes = sorted(d.name for d in parts["train" if given else "all"].iterdir()
                         if d.is_dir() and not d.name.startswith("."))
        if len(classes) < 2:
            raise DataError(f"{root}: {len(classes)} class folder(s) found; an ImageFolder "
                            f"needs one sub-folder per class, at least two.")
        files = {k: _files(folder, classes) for k, folder in parts.items()}
        decoded, note = _cached(root, files, options)
        if given:
            train, test = decoded["train"], decoded["test"]
            split = "train/ and test/ folders as given"
        else:
            train, test = holdout(decoded["all"].images, decoded["all"].labels,
                                  options.test_fraction, options.seed)
            split = (f"test split: a stratified hold-out of {options.test_fraction:.0%} of each "
                     f"class folder (seed {options.seed})")
        _check_classes(str(root), train, test, len(classes))
        return Loaded(train, test, tuple(classes), split, note)


def _files(folder: Path, classes: list[str]) -> list[tuple[str, int, int, int]]:
    """(path, label, size, mtime in ns) of every image file under each class folder, in
    name order (one directory scan, one stat per file)."""
    out = []
    for label, name in enumerate(classes):
        d = folder / name
        if not d.is_dir():
            raise DataError(f"{folder} has no folder {name!r}; train/ and test/ need the "
                            f"same class folders.")
        found = []
        for top, _, names in os.walk(d):
            for n in names:
                if os.path.splitext(n)[1].lower() in IMAGE_SUFFIXES:
                    st = os.stat(path := os.path.join(top, n))
                    found.append((path, label, st.st_size, st.st_mtime_ns))
        out += sorted(found)
    return out


def cache_dir(options: FolderOptions) -> Path:
    """Where decoded images are cached: the option, else $DSE_CACHE_DIR, else ~/.cache/dse."""
    if options.cache:
        return Path(options.cache)
    return Path(os.environ.get("DSE_CACHE_DIR") or Path.home() / ".cache" / "dse")


def _cached(root: Path, files: dict[str, list[tuple[str, int, int, int]]],
            options: FolderOptions) -> tuple[dict[str, Split], str]:
    """Decoded splits from the cache, or decoded now and cached."""
    listing = [(k, p, n, t, y) for k, fs in files.items() for p, y, n, t in fs]
    key = hashlib.sha256(json.dumps([str(root.resolve()), options.size, listing])
                         .encode()).hexdigest()[:24]
    folder = cache_dir(options) / "imagefolder" / key
    meta = folder / "meta.json"
    if meta.is_file():
        info = json.loads(meta.read_text())
        out = {}
        for k in files:
            arr = np.load(folder / f"{k}.npy", mmap_mode="c" if (folder / f"{k}.npy").stat()
                          .st_size > MEMORY_BUDGET else None)
            out[k] = Split(torch.from_numpy(arr), torch.tensor(info["labels"][k]))
        return out, info["note"]
    decoded, note = _decode(root, files, options.size)
    folder.mkdir(parents=True, exist_ok=True)
    for k, s in decoded.items():
        buf = _npy_bytes(s.images.numpy())
        atomic_write_bytes(buf, folder / f"{k}.npy")
    atomic_write_bytes(json.dumps({"labels": {k: s.labels.tolist() for k, s in decoded.items()},
                                   "note": note}).encode(), meta)
    return decoded, note


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _decode(root: Path, files: dict[str, list[tuple[str, int, int, int]]], size: int | None
            ) -> tuple[dict[str, Split], str]:
    """Every readable image as uint8 CxSxS (unreadable files listed in the note, skipped)."""
    # lazy: Pillow only for image folders
    from PIL import Image, UnidentifiedImageError

    images: dict[str, list] = {k: [] for k in files}
    labels: dict[str, list[int]] = {k: [] for k in files}
    bad: list[str] = []
    sizes: Counter = Counter()
    modes: Counter = Counter()
    for k, fs in files.items():
        for p, y, _, _ in fs:
            try:
                with Image.open(p) as im:
                    im.load()
                    gray = im.mode in ("1", "L", "I;16", "I", "F")
                    im = im.convert("L" if gray else "RGB")
            except (OSError, UnidentifiedImageError, ValueError):
                bad.append(os.path.relpath(p, root))
                continue
            sizes[im.size] += 1
            modes[im.mode] += 1
            images[k].append(im)
            labels[k].append(y)
    if not sum(sizes.values()):
        raise DataError(f"{root}: no readable image among {sum(map(len, files.values())):,} "
                        f"files; an ImageFolder holds PNG/JPEG/... files in class folders.")
    common = sizes.most_common(1)[0][0]
    side = size or min(common)
    mode = "L" if set(modes) == {"L"} else "RGB"
    notes = []
    if len(sizes) > 1 or common[0] != common[1] or size:
        notes.append(f"images resized to {side}x{side}" + ("" if size else
                     f" (the most common size, {common[0]}x{common[1]})"))
    if bad:
        notes.append(f"{len(bad)} unreadable file(s) skipped: {', '.join(bad[:5])}"
                     + (" ..." if len(bad) > 5 else ""))
    out = {}
    for k in files:
        arrs = []
        for im in images[k]:
            im = im.convert(mode)
            if im.size != (side, side):
                im = im.resize((side, side), Image.BILINEAR)
            a = np.asarray(im, dtype=np.uint8)
            arrs.append(a[None] if a.ndim == 2 else a.transpose(2, 0, 1))
        x = np.stack(arrs) if arrs else np.zeros((0, 1 if mode == "L" else 3, side, side),
                                                 np.uint8)
        out[k] = Split(torch.from_numpy(x), torch.tensor(labels[k], dtype=torch.int64))
    return out, "; ".join(notes)

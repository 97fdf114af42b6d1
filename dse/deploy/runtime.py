"""The embedded runtime: a classifier with RTMaps' Python-block life-cycle, and the frame
sources `dse deploy run` feeds it. Needs numpy, Pillow and onnxruntime only (no torch).

    clf = Classifier("model.int8.onnx", threads=1)
    clf.birth()                    # load once: session, preprocessing, labels
    label, p = clf.core(frame)     # one HxWx3 RGB or HxW gray uint8 frame, any size
    clf.death()                    # release everything
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dse.deploy.images import resize_hwc
from dse.deploy.ort import metadata, session
from dse.errors import ConfigError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".ppm"}


class Classifier:
    """birth() loads the model once, core(frame) classifies one frame, death() releases."""

    def __init__(self, model: str | Path, threads: int = 1):
        self.path, self.threads = Path(model), threads
        self.session = None

    def birth(self) -> None:
        """Open the ONNX model (fixed thread count) and read its preprocessing and labels."""
        if not self.path.is_file():
            raise ConfigError(f"model file {self.path} does not exist; export one with "
                              f"`dse export --format onnx`.")
        self.session = session(self.path, self.threads)
        meta = metadata(self.session)
        inp = self.session.get_inputs()[0]
        shape = inp.shape
        if len(shape) != 4 or shape[1] not in (1, 3) or not isinstance(shape[2], int) or \
                shape[2] != shape[3]:
            raise ConfigError(f"{self.path} takes input {shape}, not a batch of square RGB "
                              f"or grayscale images; give a model exported by dse.")
        self.input_name, self.size, self.channels = inp.name, int(shape[2]), int(shape[1])
        if "dse.input_size" in meta and int(meta["dse.input_size"]) != self.size:
            raise ConfigError(f"{self.path} says input {meta['dse.input_size']} but its graph "
                              f"takes {self.size}; re-export it.")
        try:
            mean, std = json.loads(meta["dse.mean"]), json.loads(meta["dse.std"])
            self.classes = json.loads(meta["dse.classes"])
        except (KeyError, ValueError):
            raise ConfigError(f"{self.path} carries no dse preprocessing metadata; export it "
                              f"with `dse export`.") from None
        self.mean = np.asarray(mean, np.float32).reshape(1, -1, 1, 1) * 255
        self.std = np.asarray(std, np.float32).reshape(1, -1, 1, 1) * 255

    def preprocess(self, frame: np.ndarray) -> np.ndarray:
        """HxWx3 RGB or HxW gray uint8 (any size) -> 1xCxSxS float32, as in training: a
        colour frame for a grayscale model becomes its luma (ITU-R 601, as Pillow's "L"), a
        gray frame for a colour model is repeated on the three channels."""
        frame = np.asarray(frame, np.uint8)
        if frame.ndim == 3 and frame.shape[2] == 1:
            frame = frame[:, :, 0]
        if self.channels == 1 and frame.ndim == 3:
            frame = (frame[..., :3].astype(np.float32) @ np.float32([0.299, 0.587, 0.114])
                     ).round().clip(0, 255).astype(np.uint8)
        elif self.channels == 3 and frame.ndim == 2:
            frame = np.repeat(frame[:, :, None], 3, axis=2)
        frame = resize_hwc(frame, self.size)
        x = (frame[None] if frame.ndim == 2 else frame.transpose(2, 0, 1))[None]
        return (x.astype(np.float32) - self.mean) / self.std

    def core(self, frame: np.ndarray) -> tuple[int, float]:
        """Classify one frame: (class index, softmax probability)."""
        logits = self.session.run(None, {self.input_name: self.preprocess(frame)})[0][0]
        e = np.exp(logits - logits.max())
        k = int(e.argmax())
        return k, float(e[k] / e.sum())

    def death(self) -> None:
        """Release the session."""
        self.session = None


@dataclass
class Frame:
    """One frame from a source: its name, pixels (HxWx3 uint8 RGB) and label if known."""

    name: str
    image: np.ndarray
    label: int | None


#: Largest image decoded (24 MP: any camera photo; its RGB array is 72 MB). Larger headers
#: are skipped before decoding, so a hostile file cannot exhaust memory.
MAX_PIXELS = 24_000_000


def frames(source: str | Path, classes: list[str], warn=print) -> Iterator[Frame]:
    """Frames of a folder of images (labels from sub-folder names when they are class names)
    or of a CIFAR batch file (binary or python layout); unreadable files are skipped with one
    warning line each."""
    source = Path(source)
    if not source.exists():
        raise ConfigError(f"source {source} does not exist; give a folder of PNG/JPEG images "
                          f"or a CIFAR batch file.")
    if source.is_dir():
        yield from _folder(source, classes, warn)
    else:
        yield from _cifar_batch(source)


def _folder(root: Path, classes: list[str], warn) -> Iterator[Frame]:
    # lazy: Pillow only when images are read
    from PIL import Image, UnidentifiedImageError

    index = {c: i for i, c in enumerate(classes)}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            warn(f"skipped {path.relative_to(root)}: not an image file")
            continue
        try:
            with Image.open(path) as im:  # reads the header only
                w, h = im.size
                if w * h > MAX_PIXELS:  # a decompression bomb, or a photo far too big
                    warn(f"skipped {path.relative_to(root)}: {w:,} x {h:,} pixels is more "
                         f"than the {MAX_PIXELS:,} the runtime decodes; resize it first")
                    continue
                image = np.asarray(im.convert("RGB"))
        except Image.DecompressionBombError:  # PIL's own guard, from the header alone
            warn(f"skipped {path.relative_to(root)}: its header claims too many pixels (a "
                 f"decompression bomb, or a photo far larger than {MAX_PIXELS:,} pixels)")
            continue
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            warn(f"skipped {path.relative_to(root)}: unreadable ({type(exc).__name__})")
            continue
        yield Frame(str(path.relative_to(root)), image, index.get(path.parent.name))


def _cifar_batch(path: Path) -> Iterator[Frame]:
    data = path.read_bytes()
    if len(data) % 3073 == 0 and data[:1] != b"\x80":  # binary CIFAR-10 records (no pickle)
        rec = np.frombuffer(data, np.uint8).reshape(-1, 3073)
        labels, images = rec[:, 0].astype(int), rec[:, 1:].reshape(-1, 3, 32, 32)
    else:
        # lazy: dse.data imports torch; `dse deploy run` needs only numpy + onnxruntime
        from dse.data.cifar import safe_unpickle  # numpy arrays and plain data only

        try:
            batch = safe_unpickle(data)
            images = np.asarray(batch["data"], np.uint8).reshape(-1, 3, 32, 32)
            labels = np.asarray(batch["labels"] if "labels" in batch else batch["fine_labels"])
        except (pickle.UnpicklingError, KeyError, StopIteration, ValueError, TypeError,
                EOFError) as exc:
            raise ConfigError(f"{path} is not a CIFAR batch file (binary records of 3,073 "
                              f"bytes, or the python pickle layout): {type(exc).__name__}."
                              ) from None
    for i, (img, lab) in enumerate(zip(images, labels, strict=True)):
        yield Frame(f"{path.name}[{i}]", img.transpose(1, 2, 0), int(lab))

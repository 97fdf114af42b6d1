"""In-memory image batches: splits, subsets, resizing and batched augmentation on tensors."""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
import torch.nn.functional as F

from dse.data.cifar import Split
from dse.data.policies import POLICIES
from dse.data.registry import data_info


def split_indices(labels: torch.Tensor, val_size: int, seed: int
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices of a class-balanced, seeded (train, validation) split of `labels`."""
    train_idx, val_idx = [], []
    classes = int(labels.max()) + 1
    per_class = val_size // classes
    gen = torch.Generator().manual_seed(seed)
    for c in range(classes):
        idx = torch.nonzero(labels == c).flatten()
        idx = idx[torch.randperm(len(idx), generator=gen)]
        val_idx.append(idx[:per_class])
        train_idx.append(idx[per_class:])
    return torch.cat(train_idx).sort().values, torch.cat(val_idx).sort().values


def subset_indices(labels: torch.Tensor, size: int | None, seed: int) -> torch.Tensor:
    """Indices of the first `size // classes` images of each class after a seeded shuffle."""
    if size is None or size >= len(labels):
        return torch.arange(len(labels))
    classes = int(labels.max()) + 1
    gen = torch.Generator().manual_seed(seed + 1)
    keep = []
    for c in range(classes):
        idx = torch.nonzero(labels == c).flatten()
        keep.append(idx[torch.randperm(len(idx), generator=gen)][: size // classes])
    return torch.cat(keep).sort().values


def take(split: Split, idx: torch.Tensor) -> Split:
    """The images and labels at `idx`."""
    return Split(split.images[idx], split.labels[idx])


def stratified_split(split: Split, val_size: int, seed: int) -> tuple[Split, Split]:
    """Carve a class-balanced, seeded validation set of `val_size` images out of `split`."""
    tr, va = split_indices(split.labels, val_size, seed)
    return take(split, tr), take(split, va)


def balanced_subset(split: Split, size: int, seed: int) -> Split:
    """The first `size // classes` images of each class after a seeded shuffle."""
    return take(split, subset_indices(split.labels, size, seed)) if size < len(split) else split


def resize(split: Split, size: int) -> Split:
    """Images resized to `size` x `size` (a model's input side); `split` itself when they
    are that size already."""
    if split.images.shape[-1] == size and split.images.shape[-2] == size:
        return split
    x = F.interpolate(split.images.float(), size=(size, size), mode="bilinear",
                      antialias=True, align_corners=False)
    return Split(x.round().clamp(0, 255).to(torch.uint8), split.labels)


class Batches:
    """Iterates a split held on `device` as uint8, yielding normalised float batches.

    Augmentation (random crop with `pad` pixels of zero padding, horizontal flip) runs
    batched on tensors. Epoch `e` uses a generator seeded with `(seed, e)`, so the order and
    the augmentation of an epoch do not depend on what ran before it (exact resume).
    """

    def __init__(self, split: Split, dataset: str, batch_size: int, device: torch.device,
                 train: bool, augment: bool = True, pad: int = 4, seed: int = 0,
                 channels_last: bool = False, dtype: torch.dtype = torch.float32,
                 erasing: float = 0.0, policy: str = "none"):
        self.images = split.images.to(device)
        self.labels = split.labels.to(device)
        self.batch_size, self.train, self.augment, self.pad = batch_size, train, augment, pad
        self.seed, self.device, self.dtype = seed, device, dtype
        self.channels_last, self.erasing = channels_last, erasing
        self.policy = POLICIES.get(policy)  # None for "none"
        info = data_info(dataset)
        c = len(info.mean)
        self.mean = torch.tensor(info.mean, device=device).view(1, c, 1, 1) * 255
        self.std = torch.tensor(info.std, device=device).view(1, c, 1, 1) * 255
        if train and augment and pad:
            self.images = F.pad(self.images, (pad,) * 4)  # padded once, cropped per batch
        self.epoch = 0

    def __len__(self) -> int:
        n = len(self.labels)
        return max(1, n // self.batch_size) if self.train else -(-n // self.batch_size)

    @property
    def num_images(self) -> int:
        """Images served per epoch (training drops the last incomplete batch)."""
        n = len(self.labels)
        return min(n, len(self) * self.batch_size) if self.train else n

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose order and augmentation the next iteration uses."""
        self.epoch = epoch

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.labels)
        if not self.train:
            for i in range(0, n, self.batch_size):
                yield self._finish(self.images[i:i + self.batch_size]), \
                    self.labels[i:i + self.batch_size]
            return
        gen = torch.Generator(device="cpu").manual_seed(self.seed * 100_003 + self.epoch)
        order = torch.randperm(n, generator=gen).to(self.device)
        for b in range(len(self)):
            idx = order[b * self.batch_size:(b + 1) * self.batch_size]
            x = self.images[idx]
            if self.augment:
                x = self._augment(x, gen)
            yield self._finish(x), self.labels[idx]

    def _augment(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        b = x.shape[0]
        if self.pad:
            size = x.shape[-1] - 2 * self.pad
            shifts = torch.randint(0, 2 * self.pad + 1, (2, b), generator=gen).to(self.device)
            base = torch.arange(size, device=self.device)
            rows = (shifts[0, :, None] + base)[:, None, :, None]
            cols = (shifts[1, :, None] + base)[:, None, None, :]
            batch = torch.arange(b, device=self.device)[:, None, None, None]
            chan = torch.arange(x.shape[1], device=self.device)[None, :, None, None]
            x = x[batch, chan, rows, cols]
        flip = (torch.rand(b, generator=gen) < 0.5).to(self.device)[:, None, None, None]
        x = torch.where(flip, x.flip(3), x)
        if self.policy is not None:
            x = self.policy(x, gen)
        return self._erase(x, gen) if self.erasing else x

    def _erase(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """Random erasing (as torchvision's RandomErasing, batched): with chance `erasing`,
        one rectangle of 2-33 % of the image, aspect 0.3-3.3, is set to the training mean
        (0 after normalisation)."""
        b, _, h, w = x.shape
        use = torch.rand(b, generator=gen) < self.erasing
        frac = torch.empty(b).uniform_(0.02, 0.33, generator=gen) * h * w
        ratio = torch.empty(b).uniform_(math.log(0.3), math.log(3.3), generator=gen).exp()
        eh = (frac * ratio).sqrt().round().clamp(1, h).long()
        ew = (frac / ratio).sqrt().round().clamp(1, w).long()
        top = (torch.rand(b, generator=gen) * (h - eh + 1)).long()
        left = (torch.rand(b, generator=gen) * (w - ew + 1)).long()
        rows, cols = torch.arange(h)[None], torch.arange(w)[None]
        in_rows = (rows >= top[:, None]) & (rows < (top + eh)[:, None])
        in_cols = (cols >= left[:, None]) & (cols < (left + ew)[:, None])
        mask = (in_rows[:, :, None] & in_cols[:, None, :] & use[:, None, None])[:, None]
        return torch.where(mask.to(self.device), self.mean.round().to(x.dtype), x)

    def _finish(self, x: torch.Tensor) -> torch.Tensor:
        x = (x.to(self.dtype) - self.mean) / self.std
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

"""Mixup and CutMix: training batches blended in pairs, the loss weighted between both
labels; the chance of mixing a batch can ramp up from 0 over the first epochs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class Mixer:
    """`kind` "mixup" (images blended) or "cutmix" (a box pasted from the partner image);
    the weight lam ~ Beta(alpha, alpha); a batch is mixed with chance 1, or rising linearly
    to 1 over the first `ramp` fraction of `epochs`. Draws come from a generator seeded by
    (seed, epoch), so a resumed run mixes as the uninterrupted one would."""

    kind: str
    alpha: float
    ramp: float
    epochs: int
    seed: int = 0

    def generator(self, epoch: int) -> torch.Generator:
        """The draws of one epoch (0-based)."""
        return torch.Generator().manual_seed(self.seed * 1_000_003 + 2 * epoch + 1)

    def chance(self, epoch: int) -> float:
        """The chance that a batch of `epoch` (0-based) is mixed."""
        span = round(self.ramp * self.epochs)
        return 1.0 if span < 1 else min(1.0, (epoch + 1) / span)

    def __call__(self, x: torch.Tensor, y: torch.Tensor, epoch: int, gen: torch.Generator
                 ) -> tuple[torch.Tensor, torch.Tensor, float] | None:
        """(mixed batch, partner labels, weight of `y`), or None to train the batch as is."""
        if torch.rand((), generator=gen).item() >= self.chance(epoch):
            return None
        lam = _beta(self.alpha, gen)
        perm = torch.randperm(len(y), generator=gen).to(y.device)
        if self.kind == "mixup":
            return lam * x + (1 - lam) * x[perm], y[perm], lam
        h, w = x.shape[-2:]
        ch, cw = round(h * (1 - lam) ** 0.5), round(w * (1 - lam) ** 0.5)
        top = int(torch.randint(0, h - ch + 1, (), generator=gen))
        left = int(torch.randint(0, w - cw + 1, (), generator=gen))
        x = x.clone()
        x[..., top:top + ch, left:left + cw] = x[perm][..., top:top + ch, left:left + cw]
        return x, y[perm], 1 - ch * cw / (h * w)


def _beta(alpha: float, gen: torch.Generator) -> float:
    """One draw of Beta(alpha, alpha), seeded from `gen` (numpy's sampler)."""
    seed = int(torch.randint(0, 2 ** 62, (), generator=gen))
    return float(np.random.default_rng(seed).beta(alpha, alpha))

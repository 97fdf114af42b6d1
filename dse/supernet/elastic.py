"""The elastic SqueezeNext: one set of weights that every smaller network of a space uses.

The supernet is the space's largest network (most blocks, channels, squeeze, head, widest
kernel, squeeze-excitation) with two additions: every stage's first block has a shortcut
convolution (a smaller network may need one where the largest does not), and a second
classifier for networks without a head convolution. A network is run by slicing each of
its tensors out of the supernet's (as Once-for-All and BigNAS do):

- depth: a stage's first k blocks;
- channels (stem, stages, a block's squeezes, head, squeeze-excitation): the first k;
- depthwise kernels: a 3x3 is the centre of the 5x5;
- a 1x3 + 3x1 pair in the other order: the same kernels, transposed;
- strides and resolution: the same weights on other feature-map sizes.

The activation, the conv/act/BN order, the stem padding and the kind of spatial stage
(sep, full or depthwise) change what a weight means, so one supernet holds one value of
each (`supernet_key`); a space that varies them needs one supernet per combination.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from dse.errors import ConfigError
from dse.models.blocks import ConvUnit
from dse.models.squeezenext import SqueezeNext, SqueezeNextConfig

#: Dimensions whose values share the supernet's weights.
SHARED_DIMS = ("blocks", "width", "stage_channels", "stem_channels", "head_channels",
               "squeeze", "conv3 (dw3 inside dw5)", "se", "strides", "stem_stride",
               "resolution", "dropout")
#: Dimensions fixed for one supernet (one supernet per combination of their values).
FIXED_DIMS = ("activation", "order", "stem_padding", "conv3 kind (sep, full, dw)")


def conv3_kind(conv3: str) -> str:
    """sep, full or dw: the spatial stages that can share weights (dw3 inside dw5)."""
    return "dw" if conv3.startswith("dw") else conv3


def supernet_key(cfg: SqueezeNextConfig) -> dict:
    """What must be equal for two networks to share one supernet."""
    return {"family": cfg.family, "activation": cfg.activation, "order": cfg.order,
            "stem_padding": cfg.stem_padding, "conv3": conv3_kind(cfg.conv3),
            "num_classes": cfg.num_classes, "in_channels": cfg.in_channels,
            "image_size": cfg.image_size}


def _skeleton(cfg: SqueezeNextConfig) -> SqueezeNext:
    """The network's module tree without storage (its tensors come from the supernet)."""
    with warnings.catch_warnings(), torch.device("meta"):
        warnings.simplefilter("ignore")
        return SqueezeNext(cfg)


def _fit(src: torch.Tensor, shape: torch.Size) -> torch.Tensor | None:
    """A view of `src` with `shape`: first channels, centred kernels, a 1x3 as a 3x1
    transposed; None when `src` is too small in some dimension."""
    if src.dim() != len(shape):
        return None
    if (src.dim() == 4 and shape[2] != shape[3] and tuple(src.shape[2:]) == (shape[3], shape[2])):
        src = src.transpose(2, 3)
    for d, (have, want) in enumerate(zip(src.shape, shape, strict=True)):
        if want > have:
            return None
        if want < have:
            start = (have - want) // 2 if d >= 2 else 0
            src = src.narrow(d, start, want)
    return src


class SuperNet(nn.Module):
    """The largest network of a space, whose slices are every smaller network."""

    def __init__(self, largest: SqueezeNextConfig):
        super().__init__()
        self.largest = largest.model_copy(update={"dropout": 0.0})
        self.key = supernet_key(largest)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net = SqueezeNext(self.largest)
        cin, stages, head = self.largest.layer_channels()
        for stage, cout in zip(net.stages, stages, strict=True):
            if isinstance(stage[0].shortcut, nn.Identity):
                stage[0].shortcut = ConvUnit(cin, cout, 1, 1, 0, self.largest.activation,
                                             self.largest.order)
            cin = cout
        self.net = net
        if head:  # networks without a head conv pool the last stage into their own classifier
            self.fc_nohead = nn.Linear(stages[-1], self.largest.num_classes)
        self._skeletons: dict[str, SqueezeNext] = {}

    def _source(self, name: str, cfg: SqueezeNextConfig) -> str:
        if name.startswith("fc.") and not cfg.layer_channels()[2] and hasattr(self, "fc_nohead"):
            return "fc_nohead." + name.removeprefix("fc.")
        return "net." + name

    def skeleton(self, cfg: SqueezeNextConfig) -> SqueezeNext:
        """The (cached, storage-free) module tree of `cfg` with dropout as `cfg` says."""
        k = json.dumps(cfg.canonical(), sort_keys=True)
        if k not in self._skeletons:
            if len(self._skeletons) > 512:
                self._skeletons.clear()
            self._skeletons[k] = _skeleton(cfg)
        return self._skeletons[k]

    def check(self, cfg: SqueezeNextConfig) -> None:
        """ConfigError unless `cfg` is a network this supernet holds."""
        key = supernet_key(cfg)
        if key != self.key:
            diff = ", ".join(f"{k} {key[k]!r} (the supernet's: {self.key[k]!r})"
                             for k in key if key[k] != self.key[k])
            raise ConfigError(f"the network {cfg.summary()!r} cannot share this supernet's "
                              f"weights: {diff}. One supernet holds one value of each of "
                              f"{', '.join(FIXED_DIMS)}; train one per combination.")
        self._tensors(cfg)

    def _tensors(self, cfg: SqueezeNextConfig) -> dict[str, torch.Tensor]:
        own = dict(self.named_parameters())
        own.update(self.named_buffers())
        out = {}
        for name, t in _skeleton_tensors(self.skeleton(cfg)):
            src = own.get(self._source(name, cfg))
            view = _fit(src, t.shape) if src is not None else None
            if view is None:
                raise ConfigError(
                    f"the network {cfg.summary()!r} is larger than this supernet at {name} "
                    f"(needs {tuple(t.shape)}, the supernet holds "
                    f"{tuple(src.shape) if src is not None else 'nothing'}); the supernet "
                    f"must be built from the space's largest network: "
                    f"{self.largest.summary()!r} is not.")
            out[name] = view
        return out

    def subnet_state(self, cfg: SqueezeNextConfig) -> dict[str, torch.Tensor]:
        """`cfg`'s parameters and buffers as views of the supernet's (gradients and
        BatchNorm's running statistics flow into the shared tensors)."""
        return self._tensors(cfg)

    def forward(self, x: torch.Tensor, cfg: SqueezeNextConfig) -> torch.Tensor:
        """`cfg`'s logits for `x` (resized to `cfg`'s input side when it differs)."""
        side = cfg.input_size
        if x.shape[-1] != side or x.shape[-2] != side:
            x = F.interpolate(x, size=(side, side), mode="bilinear", antialias=True,
                              align_corners=False)
        skel = self.skeleton(cfg)
        skel.train(self.training)
        return functional_call(skel, self.subnet_state(cfg), (x,), strict=True)

    def extract(self, cfg: SqueezeNextConfig) -> SqueezeNext:
        """A stand-alone `SqueezeNext(cfg)` holding copies of its slices of the weights."""
        state = {k: v.detach().clone().contiguous() for k, v in self.subnet_state(cfg).items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = SqueezeNext(cfg)
        model.load_state_dict(state)
        return model


def _skeleton_tensors(skel: nn.Module) -> Iterator[tuple[str, torch.Tensor]]:
    yield from skel.named_parameters()
    yield from skel.named_buffers()

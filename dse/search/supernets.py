"""The supernets of a space with a oneshot fidelity: which candidates share one (groups),
each group's largest and smallest network and sampler, where a study keeps them, training
them before the study's first trial, and a trial's oneshot evaluation.

A group is one value of each dimension that cannot share weights (activation, layer order,
stem padding, and the kind of spatial stage: sep, full, or depthwise with 3x3 inside 5x5);
`dse space show` lists a space's groups, and each group's supernet is trained once.
"""

from __future__ import annotations

import itertools
import math
import random
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from dse.data import Batches, Split, data_info
from dse.errors import CheckpointError, ConfigError
from dse.models import get_family
from dse.models.squeezenext import SqueezeNextConfig
from dse.search.dims import Choice, values
from dse.search.feasible import ArchCheck
from dse.search.fidelity import Fidelity
from dse.search.space import SearchSpace
from dse.supernet import SuperNet, load_supernet, save_supernet, supernet_key, train_supernet
from dse.supernet.elastic import conv3_kind
from dse.supernet.oneshot import recalibrate_bn
from dse.train.engine import evaluate
from dse.train.job import DataPlan, prepare_data

FIXED = ("activation", "order", "stem_padding")
SAMPLE_TRIES = 50  # draws per sampled network before one that breaks a constraint is used


@dataclass(frozen=True)
class Group:
    """Candidates that share one supernet: fixed values and the spatial stages allowed."""

    fixed: dict
    conv3: tuple[str, ...]

    @property
    def slug(self) -> str:
        """File-name form: 'relu-bn-act-pad0-dw'."""
        f = self.fixed
        return (f"{f['activation']}-{f['order'].removeprefix('conv-')}-pad{f['stem_padding']}-"
                f"{conv3_kind(self.conv3[0])}")

    def override(self) -> dict:
        """Dimensions that replace the space's within this group."""
        return {**self.fixed, "conv3": Choice(choices=list(self.conv3))}


def check_oneshot_space(space: SearchSpace) -> type[SqueezeNextConfig]:
    """The family config of a space a supernet can hold; ConfigError otherwise."""
    m = space.model
    config = get_family(m.family).config if m.family else None
    if config is None or not issubclass(config, SqueezeNextConfig):
        raise ConfigError(f"space {space.name!r}: a oneshot fidelity needs model.family of "
                          f"the SqueezeNext families (hps, sqnxt), whose networks a supernet "
                          f"holds; this space has {m.family or 'registered models'}.")
    return config


def groups(space: SearchSpace) -> list[Group]:
    """The space's supernet groups (one supernet each)."""
    config = check_oneshot_space(space)
    dims = space.model.dims
    pools = [values(dims[k]) if k in dims else [config.model_fields[k].default] for k in FIXED]
    conv3 = values(dims["conv3"]) if "conv3" in dims else [config.model_fields["conv3"].default]
    kinds: dict[str, list[str]] = {}
    for c in conv3:
        kinds.setdefault(conv3_kind(c), []).append(c)
    return [Group(dict(zip(FIXED, combo, strict=True)), tuple(kinds[k]))
            for combo in itertools.product(*pools) for k in kinds]


def _config(space: SearchSpace, spec: dict) -> SqueezeNextConfig:
    spec = dict(spec)
    family = get_family(spec.pop("name"))
    info = data_info(space.dataset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return family.config(num_classes=info.num_classes, in_channels=info.channels,
                             image_size=info.size, **spec)


@dataclass
class GroupNets:
    """A group's largest and smallest networks and its sampler (constraint-aware)."""

    space: SearchSpace
    group: Group
    check: ArchCheck = field(init=False)

    def __post_init__(self) -> None:
        self.check = ArchCheck(self.space)

    def largest(self) -> SqueezeNextConfig:
        """The teacher and the shape of every shared tensor."""
        return _config(self.space, self.space.model.extreme(True, self.group.override()))

    def smallest(self) -> SqueezeNextConfig:
        """The sandwich's lower slice."""
        return _config(self.space, self.space.model.extreme(False, self.group.override()))

    def sample(self, rng: random.Random) -> SqueezeNextConfig:
        """A uniformly drawn network of the group that meets the space's architecture
        constraints (after SAMPLE_TRIES draws, the last one drawn)."""
        for _ in range(SAMPLE_TRIES):
            spec = self.space.model.draw(rng, self.group.override())
            if not self.check or self.check.feasible(spec):
                break
        return _config(self.space, spec)


def trains(fid: Fidelity) -> tuple | None:
    """What a oneshot fidelity's supernet training depends on (its recipe and images):
    fidelities equal here share one supernet, whatever their fine-tuning."""
    if fid.oneshot is None:
        return None
    return (fid.oneshot.supernet, fid.train_images, fid.val_size, fid.val_images)


def supernet_name(space: SearchSpace, fidelity: str) -> str:
    """The fidelity a supernet file is named after: the space's first fidelity that trains
    the same supernet as `fidelity` (so that fidelities differing only in fine-tuning
    epochs share one file)."""
    key = trains(space.fidelities[fidelity])
    return next(n for n, f in space.fidelities.items() if trains(f) == key)


def supernet_path(folder: Path, name: str, group: Group) -> Path:
    """Where a study keeps a group's supernet: <study folder>/supernets/<name>-<group>.pt,
    `name` from `supernet_name`."""
    return folder / "supernets" / f"{name}-{group.slug}.pt"


def ensure_supernets(space: SearchSpace, fidelity: str, folder: Path, seed: int = 0,
                     data_dir=None, download: bool = False, device: str | torch.device = "cpu",
                     given: Path | None = None, say=print, train: bool = True
                     ) -> dict[str, Path]:
    """Every group's supernet file: `given` (one group only), else the study's, trained now
    when missing (resuming an interrupted training; with `train` False, missing is an
    error). Returns {group slug: path}."""
    fid = space.fidelities[fidelity]
    if fid.oneshot is None:
        return {}
    gs = groups(space)
    if given is not None:
        if len(gs) != 1:
            raise ConfigError(f"--supernet gives one supernet, but space {space.name!r} needs "
                              f"{len(gs)} ({', '.join(g.slug for g in gs)}); leave --supernet "
                              f"out to train them in the study's folder.")
        check_file(given, GroupNets(space, gs[0]).largest(), fid)
        return {gs[0].slug: given}
    out = {}
    for g in gs:
        path = supernet_path(folder, supernet_name(space, fidelity), g)
        nets = GroupNets(space, g)
        if not path.exists() and not train:
            raise CheckpointError(f"supernet {path} is missing; `dse run` trains it before "
                                  f"the study's first trial (or give --supernet PATH).")
        if not path.exists():
            with _lock(path):  # one process trains it; another waits, then reads it
                if not path.exists():
                    train_group(space, fid, nets, path, seed, data_dir, download, device, say)
        check_file(path, nets.largest(), fid)
        out[g.slug] = path
    return out


@contextmanager
def _lock(path: Path):
    """An exclusive lock on <path>.lock, across processes (POSIX flock)."""
    import fcntl  # lazy: POSIX only

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".pt.lock"), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def check_file(path: Path, largest: SqueezeNextConfig, fid: Fidelity) -> None:
    """CheckpointError unless `path` is a supernet of this largest network and recipe."""
    net, meta = load_supernet(path)
    if net.largest.canonical() != largest.model_copy(update={"dropout": 0.0}).canonical():
        raise CheckpointError(f"supernet {path} holds {net.largest.summary()!r}, not this "
                              f"space's largest network {largest.summary()!r}; remove it or "
                              f"give the matching one.")
    if meta.get("recipe") != fid.oneshot.supernet.model_dump():
        raise CheckpointError(f"supernet {path} was trained with another recipe "
                              f"({meta.get('recipe')}); remove it to train this fidelity's.")


def train_group(space: SearchSpace, fid: Fidelity, nets: GroupNets, path: Path, seed: int,
                data_dir=None, download: bool = False, device: str | torch.device = "cpu",
                say=print) -> list[dict]:
    """Train one group's supernet on the fidelity's images (resumable), save it to `path`."""
    recipe = fid.oneshot.supernet
    plan = DataPlan(space.dataset, fid.val_size, fid.train_images, fid.val_images, seed)
    train, val, _ = prepare_data(plan, None, data_dir, download, test=False)
    largest, smallest = nets.largest(), nets.smallest()
    say(f"supernet {nets.group.slug}: training {recipe.epochs} epochs on {len(train.labels)} "
        f"images ({recipe.images_per_step() // recipe.batch_size} networks per batch; largest "
        f"{largest.summary()}, smallest {smallest.summary()}); resumable, state in "
        f"{path.name}.resume")
    torch.manual_seed(recipe.seed)  # the supernet's initial weights
    net = SuperNet(largest)
    history = train_supernet(net, nets.sample, smallest, train, val, recipe, space.dataset,
                             device, path.with_suffix(".pt.resume"), progress=True)
    save_supernet(net, path, recipe, history, space.dataset)
    path.with_suffix(".pt.resume").unlink(missing_ok=True)
    hours = sum(r["train_s"] + r.get("eval_s", 0.0) for r in history) / 3600
    say(f"supernet {nets.group.slug}: saved {path} ({hours:.2f} h, "
        f"{sum(r['train_images'] for r in history):,} training images)")
    return history


@dataclass
class OneshotEvaluator:
    """A trial's oneshot measurement: the candidate's slice of its group's supernet,
    BatchNorm recalibrated, then validated (fine-tuning, if any, is the trainer's)."""

    space: SearchSpace
    fid: Fidelity
    paths: dict[str, Path]
    _nets: dict[str, SuperNet] = field(default_factory=dict)

    def supernet(self, cfg: SqueezeNextConfig) -> SuperNet:
        """The (loaded once) supernet holding `cfg`."""
        key = supernet_key(cfg)
        for g in groups(self.space):
            if {**g.fixed, "conv3": conv3_kind(g.conv3[0])} == {k: key[k] for k in (*FIXED,
                                                                                   "conv3")}:
                if g.slug not in self._nets:
                    if g.slug not in self.paths:
                        raise CheckpointError(f"no supernet for group {g.slug}; run the study "
                                              f"with `dse run` (it trains it first).")
                    self._nets[g.slug] = load_supernet(self.paths[g.slug])[0]
                return self._nets[g.slug]
        raise ConfigError(f"{cfg.summary()!r} is in none of the space's supernet groups.")

    def __call__(self, model: Any, train: Split, val: Split, seed: int) -> tuple[Any, dict]:
        """(the candidate's network with the supernet's weights, its epoch-0 row)."""
        cfg = model.dse_config
        net = self.supernet(cfg)
        net.check(cfg)
        extracted = net.extract(cfg)
        extracted.dse_config = cfg
        model.load_state_dict(extracted.state_dict())
        device = next(model.parameters()).device
        t0 = time.perf_counter()
        calib = Batches(train, self.space.dataset, 256, device, train=True, augment=False,
                        seed=seed)
        used = recalibrate_bn(model, calib, self.fid.oneshot.calib_images)
        t1 = time.perf_counter()
        ev = evaluate(model, Batches(val, self.space.dataset, 256, device, train=False))
        t2 = time.perf_counter()
        return model, {"epoch": 0, "lr": 0.0, "train_loss": math.nan, "train_acc": math.nan,
                       "val_loss": ev["loss"], "val_acc": ev["accuracy"], "train_s": t1 - t0,
                       "eval_s": t2 - t1, "epoch_s": t2 - t0,
                       "train_images_per_s": used / max(t1 - t0, 1e-9)}


def describe_groups(space: SearchSpace) -> list[str]:
    """Lines for `dse space show`: each group's largest and smallest network."""
    lines = []
    for g in groups(space):
        nets = GroupNets(space, g)
        lines.append(f"{g.slug}: largest {nets.largest().summary()}; smallest "
                     f"{nets.smallest().summary()}")
    return lines

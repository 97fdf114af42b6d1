"""Training a supernet: the sandwich rule with in-place distillation (BigNAS).

Every step trains, on one batch, the largest network on the labels and then the smallest
and `random_subnets` sampled networks on the largest's softened predictions; their gradients
add up in the shared weights before one optimizer step. A resume state is written after
every epoch, and a run started again continues from it exactly (each epoch's batches and
sampled networks are seeded by the epoch).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from pathlib import Path

import rich
import torch
from pydantic import BaseModel, ConfigDict, Field
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from torch import nn

from dse import interrupts
from dse.data import Batches, Split
from dse.errors import CheckpointError, ConfigError
from dse.models import make_config
from dse.models.squeezenext import SqueezeNextConfig
from dse.supernet.elastic import SuperNet
from dse.supernet.oneshot import oneshot_evaluate
from dse.train.checkpoint import atomic_save
from dse.train.engine import Diverged
from dse.train.optim import make_optimizer, make_scheduler

SUPERNET, SUPERNET_RESUME = "dse.supernet/1", "dse.supernet-resume/1"
Sampler = Callable[[random.Random], SqueezeNextConfig]


class SupernetRecipe(BaseModel):
    """How a supernet is trained (SGD Nesterov with cosine decay, as dse's networks)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    epochs: int = Field(default=30, ge=1, le=10_000)
    batch_size: int = Field(default=128, ge=2, le=8192)
    lr: float = Field(default=0.1, gt=0, le=10)
    weight_decay: float = Field(default=5e-4, ge=0, le=0.1)
    random_subnets: int = Field(default=2, ge=0, le=16)  # sampled networks per step
    label_smoothing: float = Field(default=0.1, ge=0, lt=1)  # the largest network's loss
    distill: bool = True  # smaller networks learn the largest's predictions (else labels)
    augment: bool = True  # random crop and flip
    calib_images: int = Field(default=1024, ge=64)  # per epoch's check of largest/smallest
    seed: int = 0

    def images_per_step(self) -> int:
        """Network-images forwarded per step (largest, smallest, sampled)."""
        return self.batch_size * (2 + self.random_subnets)


def _soft_ce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return -(target * logits.float().log_softmax(1)).sum(1).mean()


def train_supernet(net: SuperNet, sample: Sampler, smallest: SqueezeNextConfig, train: Split,
                   val: Split | None, recipe: SupernetRecipe, dataset: str = "cifar10",
                   device: str | torch.device = "cpu", resume_path: str | Path | None = None,
                   progress: bool = False,
                   on_epoch: Callable[[dict], None] | None = None) -> list[dict]:
    """Train `net` for `recipe.epochs`, continuing from `resume_path` when it holds a state
    of the same supernet and recipe; returns one row per epoch (losses, the largest's and
    smallest's recalibrated validation accuracy when `val` is given, seconds, images)."""
    device = torch.device(device)
    net.check(smallest)
    net.to(device)
    batches = Batches(train, dataset, recipe.batch_size, device, train=True,
                      augment=recipe.augment, seed=recipe.seed)
    opt = make_optimizer("sgd", net.parameters(), recipe.lr, recipe.weight_decay,
                         momentum=0.9, nesterov=True)
    sched = make_scheduler("cosine", opt, recipe.epochs, len(batches), 0.0)
    history: list[dict] = []
    resume_path = Path(resume_path) if resume_path is not None else None
    if resume_path is not None and resume_path.exists():
        history = _restore(resume_path, net, opt, sched, recipe)
    crit = nn.CrossEntropyLoss(label_smoothing=recipe.label_smoothing)
    console = rich.get_console()
    bar = Progress(TextColumn("supernet"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), disable=not (progress and console.is_terminal))
    with bar:  # a bar on a terminal; a log gets the epoch lines only
        task = bar.add_task("supernet", total=recipe.epochs * len(batches),
                            completed=len(history) * len(batches))
        for epoch in range(len(history), recipe.epochs):
            row = _epoch(net, batches, opt, sched, crit, sample, smallest, recipe, epoch,
                         lambda: bar.advance(task))
            if val is not None:
                row.update(_check(net, smallest, train, val, recipe, dataset, device))
            history.append(row)
            if progress:
                accs = "".join(f"  {k} {row[k]:.3f}" for k in
                               ("val_acc_largest", "val_acc_smallest") if k in row)
                bar.console.print(f"supernet epoch {epoch + 1:>3}/{recipe.epochs}  loss "
                                  f"{row['loss_largest']:.3f}{accs}  lr {row['lr']:.4g}  "
                                  f"{row['train_s']:.0f}s", soft_wrap=True, markup=False)
            if resume_path is not None:
                atomic_save(_state(net, opt, sched, recipe, history), resume_path)
            if on_epoch is not None:
                on_epoch(row)
    return history


def _check(net: SuperNet, smallest: SqueezeNextConfig, train: Split, val: Split,
           recipe: SupernetRecipe, dataset: str, device: torch.device) -> dict:
    """The largest and the smallest network's validation accuracy, BatchNorm recalibrated."""
    t0, out = time.perf_counter(), {}
    for name, cfg in (("largest", net.largest), ("smallest", smallest)):
        ev = oneshot_evaluate(net, cfg, train, val, dataset, recipe.calib_images,
                              device=device, seed=recipe.seed)
        out[f"val_acc_{name}"] = ev["accuracy"]
    return {**out, "eval_s": time.perf_counter() - t0}


def _epoch(net: SuperNet, batches: Batches, opt, sched, crit, sample: Sampler,
           smallest: SqueezeNextConfig, recipe: SupernetRecipe, epoch: int,
           tick: Callable[[], None] = lambda: None) -> dict:
    rng = random.Random(recipe.seed * 1_000_003 + epoch)
    batches.set_epoch(epoch)
    net.train()
    lr = opt.param_groups[0]["lr"]
    loss_sum = torch.zeros(())
    seen, t0 = 0, time.perf_counter()
    for x, y in batches:
        opt.zero_grad(set_to_none=True)
        out = net(x, net.largest)
        loss = crit(out.float(), y)
        loss.backward()
        target = out.detach().float().softmax(1)
        for cfg in [smallest, *(sample(rng) for _ in range(recipe.random_subnets))]:
            small = net(x, cfg)
            (_soft_ce(small, target) if recipe.distill else crit(small.float(), y)).backward()
        opt.step()
        sched.step()
        loss_sum += loss.detach().cpu() * len(y)
        seen += len(y)
        tick()
        interrupts.check()
    loss_v = loss_sum.item() / seen
    if not math.isfinite(loss_v):
        raise Diverged(f"supernet training diverged at epoch {epoch + 1} (loss {loss_v}); "
                       f"lower the learning rate")
    train_s = time.perf_counter() - t0
    return {"epoch": epoch + 1, "lr": lr, "loss_largest": loss_v, "train_s": train_s,
            "train_images": seen, "network_images": seen * (2 + recipe.random_subnets),
            "threads": torch.get_num_threads()}


def _state(net: SuperNet, opt, sched, recipe: SupernetRecipe, history: list[dict]) -> dict:
    return {"format": SUPERNET_RESUME, **_describe(net), "recipe": recipe.model_dump(),
            "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()},
            "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
            "history": history, "rng": torch.get_rng_state()}


def _describe(net: SuperNet) -> dict:
    cfg = net.largest
    return {"largest": {"name": cfg.family, **cfg.to_spec()},
            "data": {"num_classes": cfg.num_classes, "in_channels": cfg.in_channels,
                     "image_size": cfg.image_size}}


def _restore(path: Path, net: SuperNet, opt, sched, recipe: SupernetRecipe) -> list[dict]:
    ckpt = _load(path)
    if ckpt.get("format") != SUPERNET_RESUME:
        raise CheckpointError(f"{path} is not a supernet resume state; remove it to start "
                              f"the supernet's training afresh.")
    if ckpt["largest"] != _describe(net)["largest"] or ckpt["recipe"] != recipe.model_dump():
        raise CheckpointError(f"{path} holds the training of another supernet or recipe; "
                              f"remove it (or use another output) to train this one.")
    net.load_state_dict(ckpt["state_dict"])
    opt.load_state_dict(ckpt["optimizer"])
    sched.load_state_dict(ckpt["scheduler"])
    torch.set_rng_state(ckpt["rng"])
    return list(ckpt["history"])


def _load(path: Path) -> dict:
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"supernet file {path} could not be read ({type(exc).__name__}); "
                              f"it is truncated or not a supernet: remove it and train the "
                              f"supernet again.") from None
    if not isinstance(obj, dict) or obj.get("format") not in (SUPERNET, SUPERNET_RESUME):
        raise CheckpointError(f"{path} is not a dse supernet file.")
    return obj


def cpu_seconds(history: list[dict]) -> float:
    """CPU-seconds of a supernet's training: each epoch's seconds x its threads (one where
    a file written before the threads were recorded does not say)."""
    return sum((r.get("train_s", 0) + r.get("eval_s", 0)) * r.get("threads", 1)
               for r in history)


def save_supernet(net: SuperNet, path: str | Path, recipe: SupernetRecipe,
                  history: list[dict], dataset: str) -> Path:
    """The trained supernet's weights with what made them (largest network, recipe,
    data set, per-epoch history)."""
    return atomic_save({"format": SUPERNET, **_describe(net), "recipe": recipe.model_dump(),
                        "dataset": dataset, "history": history,
                        "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()}},
                       path)


def load_supernet(path: str | Path) -> tuple[SuperNet, dict]:
    """A supernet (and its file's description) from `save_supernet`'s file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"supernet file {path} does not exist; train one with "
                              f"`dse supernet train` or give --supernet PATH.")
    ckpt = _load(path)
    spec = dict(ckpt["largest"])
    try:
        cfg = make_config(spec.pop("name"), ckpt["data"]["num_classes"], **spec,
                          in_channels=ckpt["data"]["in_channels"],
                          image_size=ckpt["data"]["image_size"])
    except (ConfigError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{path}: its largest network cannot be built ({exc}).") from None
    net = SuperNet(cfg)
    try:
        net.load_state_dict(ckpt["state_dict"])
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: its weights do not fit its largest network "
                              f"({str(exc).splitlines()[0][:160]}).") from None
    return net, {k: v for k, v in ckpt.items() if k != "state_dict"}

"""The training engine: a plain loop over in-memory batches, with exact resume."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Collection
from pathlib import Path

import rich
import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from torch import nn
from torch.optim.swa_utils import AveragedModel

from dse import interrupts
from dse.data import Batches, Split
from dse.errors import CheckpointError, ConfigError
from dse.records import EpochRow
from dse.train.checkpoint import RESUME, atomic_save, load_weights
from dse.train.mixing import Mixer
from dse.train.optim import make_optimizer, make_scheduler
from dse.train.precision import autocast, trains_in_bf16
from dse.train.recipe import TrainConfig


class Diverged(RuntimeError):
    """The training loss became NaN or infinite: the run is stopped, nothing is kept."""


def resolve_device(name: str = "auto") -> torch.device:
    """"auto" -> CUDA when present, else CPU; anything else is parsed by torch."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"unknown device {name!r}; use auto, cpu, cuda or cuda:N.") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {name!r} was asked for but CUDA is not available here; "
                          f"use --device cpu (or auto).")
    return device


def eval_batch_size(cfg: TrainConfig, device: torch.device) -> int:
    """The evaluation batch: the recipe's, else 256 on CPU and 1024 on CUDA (measured in
    bench/engine_options.py: on CPU, 256 evaluates 2-2.6x faster than 1000)."""
    return cfg.eval_batch_size or (1024 if device.type == "cuda" else 256)


def seed_everything(seed: int) -> None:
    """Seed Python and torch (CPU and CUDA) generators."""
    random.seed(seed)
    torch.manual_seed(seed)


def evaluate(model: nn.Module, batches: Batches, label_smoothing: float = 0.0,
             flip: bool = False) -> dict:
    """Mean loss and accuracy of `model` over `batches` (one host sync at the end); with
    `flip`, also `accuracy_flip`: the softmax averaged with the mirrored image's."""
    device = batches.device
    crit = nn.CrossEntropyLoss(reduction="sum", label_smoothing=label_smoothing)
    loss = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    correct_flip = torch.zeros((), device=device, dtype=torch.long)
    model.eval()
    with torch.no_grad(), autocast(device):
        for x, y in batches:
            out = model(x)
            loss += crit(out.float(), y)
            correct += (out.argmax(1) == y).sum()
            if flip:
                both = out.float().softmax(1) + model(x.flip(3)).float().softmax(1)
                correct_flip += (both.argmax(1) == y).sum()
    n = batches.num_images
    out = {"loss": loss.item() / n, "accuracy": correct.item() / n}
    if flip:
        out["accuracy_flip"] = correct_flip.item() / n
    return out


EpochCallback = Callable[[EpochRow], None]


def fit(model: nn.Module, train: Split, val: Split, cfg: TrainConfig, dataset: str = "cifar10",
        device: str | torch.device = "auto", progress: bool = False,
        resume: dict | None = None, resume_path: str | Path | None = None,
        on_epoch: EpochCallback | None = None, spec: dict | None = None,
        channels_last: bool | None = None, on_batch: EpochCallback | None = None,
        save_epochs: Collection[int] | None = None, compile_model: bool = False,
        split: str = "val") -> list[EpochRow]:
    """Train `model` on `train`, evaluating on `val` after every epoch.

    Returns one row per epoch: train/val loss and accuracy, learning rate, train_s,
    eval_s, epoch_s (train + eval, the papers' "model speed") and train_images_per_s.
    `resume` is a checkpoint from `resume_path` of an earlier, interrupted call; with it
    the run continues exactly where it stopped; `save_epochs` limits writing that state to
    those (1-based) epochs (every epoch when None). `on_epoch` sees each row and may raise
    to stop training (multi-fidelity uses this). `on_batch` sees, at most twice a second,
    the running epoch's batch, loss, accuracy and images/s (live progress).
    `compile_model` trains through `torch.compile(model)` (dse.train.compiling decides when);
    evaluation and the saved states use the eager model, which shares its weights.
    `split` names what `val` is in the epoch lines ("val", or "test" when a run validates
    on the test split); the rows keep their field names.
    """
    device = resolve_device(device) if isinstance(device, str) else device
    if channels_last is None:  # faster on CUDA and on CPU (bench/engine_options.py)
        channels_last = True
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    step_model = torch.compile(model) if compile_model else None
    train_b = Batches(train, dataset, cfg.batch_size, device, train=True, augment=cfg.augment,
                      seed=cfg.seed, channels_last=channels_last, erasing=cfg.erasing,
                      policy=cfg.policy)
    mixer = (Mixer(cfg.mix, cfg.mix_alpha, cfg.mix_ramp, cfg.epochs, cfg.seed)
             if cfg.mix != "none" else None)
    val_b = Batches(val, dataset, eval_batch_size(cfg, device), device, train=False,
                    channels_last=channels_last)
    opt = make_optimizer(cfg.optimizer, model.parameters(), cfg.lr, cfg.weight_decay,
                         **dict(cfg.optimizer_kwargs))
    scheduler = make_scheduler(cfg.schedule, opt, cfg.epochs, len(train_b), cfg.warmup_epochs,
                               **dict(cfg.schedule_kwargs))
    crit = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    ema = _ema(model, cfg.ema_decay)
    history: list[dict] = []
    if resume is not None:
        history = _restore(resume, model, opt, scheduler, spec, ema)
    bar = _progress(progress)
    with bar:
        task = bar.add_task("train", total=cfg.epochs * len(train_b),
                            completed=len(history) * len(train_b), stats="")
        for epoch in range(len(history), cfg.epochs):
            row = train_epoch(model, train_b, opt, scheduler, crit, epoch, bar, task, on_batch,
                              ema, step_model, mixer, bf16=trains_in_bf16(cfg, device))
            t0 = time.perf_counter()
            ev = evaluate(ema.module if ema is not None else model, val_b,
                          cfg.label_smoothing, cfg.tta_flip)
            row.update(val_loss=ev["loss"], val_acc=ev["accuracy"],
                       eval_s=time.perf_counter() - t0)
            if "accuracy_flip" in ev:
                row["val_acc_flip"] = ev["accuracy_flip"]
            row["epoch_s"] = row["train_s"] + row["eval_s"]
            history.append(row)
            if progress:
                bar.console.print(
                    f"epoch {epoch + 1:>3}/{cfg.epochs}  loss {row['train_loss']:.3f}  "
                    f"acc {row['train_acc']:.3f}  {split}_loss {row['val_loss']:.3f}  "
                    f"{split}_acc {row['val_acc']:.3f}  lr {row['lr']:.4g}  "
                    f"{row['epoch_s']:.1f}s  {row['train_images_per_s']:.0f} img/s",
                    soft_wrap=True)  # one line per epoch, also in a log
            if resume_path is not None and (save_epochs is None or epoch + 1 in save_epochs):
                atomic_save(_resume_state(model, opt, scheduler, history, cfg, spec, ema),
                            resume_path)
            if on_epoch is not None:
                on_epoch(row)
    if ema is not None:  # the model leaves with the averaged weights it was evaluated with
        model.load_state_dict(ema.module.state_dict())
    return history


def _ema(model: nn.Module, decay: float):
    """torch's AveragedModel keeping an exponential moving average (buffers too), or None."""
    if not decay:
        return None
    if not 0.0 < decay < 1.0:
        raise ConfigError(f"ema_decay is a number between 0 and 1 (0.999 is usual), "
                          f"not {decay!r}.")
    return AveragedModel(model, multi_avg_fn=ema_update(decay), use_buffers=True)


def ema_update(decay: float):
    """The average's update, with timm's warm-up: step n uses min(decay, (1 + n) / (10 + n)),
    so the average forgets the random initial weights within a short run (without it, 0.999
    left hps-06-0.5x at chance after 780 steps: bench/results/recipe-options-*.txt).
    Integer buffers (batch-norm's batch counts) take the model's value."""

    @torch.no_grad()
    def update(averaged: list[torch.Tensor], current: list[torch.Tensor], n) -> None:
        # AveragedModel calls this once per (device, dtype) group: all float or all integer
        d = min(decay, (1.0 + float(n)) / (10.0 + float(n)))
        if averaged[0].is_floating_point():
            torch._foreach_lerp_(averaged, current, 1.0 - d)  # as torch's own EMA does
        else:
            torch._foreach_copy_(averaged, current)
    return update


def train_epoch(model, batches: Batches, opt, scheduler, crit, epoch: int,
                bar: Progress | None = None, task=None,
                on_batch: EpochCallback | None = None, ema=None, step_model=None,
                mixer: Mixer | None = None, bf16: bool = False) -> dict:
    """One pass over `batches`: loss and accuracy summed on the device, one sync at the end;
    `ema` (an AveragedModel) is updated after every step; `step_model` (a compiled `model`)
    runs the forward pass when given; `mixer` mixes batches (accuracy then counts the
    batch's own labels); `bf16` runs the forward pass in bfloat16 autocast (weights,
    gradients and the optimizer stay float32)."""
    forward = step_model if step_model is not None else model
    device = batches.device
    batches.set_epoch(epoch)
    model.train()
    lr = opt.param_groups[0]["lr"]
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    t0 = last = time.perf_counter()
    seen = 0
    gen = mixer.generator(epoch) if mixer is not None else None
    for i, (x, y) in enumerate(batches):
        mixed = mixer(x, y, epoch, gen) if mixer is not None else None
        with autocast(device, bf16):
            out = forward(x if mixed is None else mixed[0])
            loss = crit(out.float(), y)
            if mixed is not None:
                loss = mixed[2] * loss + (1 - mixed[2]) * crit(out.float(), mixed[1])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        scheduler.step()
        if ema is not None:
            ema.update_parameters(model)
        loss_sum += loss.detach() * len(y)
        correct += (out.detach().argmax(1) == y).sum()
        seen += len(y)
        interrupts.check()  # a signal whose exception garbage collection dropped
        if bar is None and on_batch is None:
            continue
        if bar is not None:
            bar.advance(task)
        now = time.perf_counter()
        live = on_batch is not None or bar.live.is_started
        if live and now - last > 0.5:  # at most two host syncs per second
            stats = {"epoch": epoch + 1, "batch": i + 1, "batches": len(batches),
                     "loss": loss_sum.item() / seen, "acc": correct.item() / seen,
                     "images_per_s": seen / (now - t0)}
            if bar is not None:
                bar.update(task, stats=f"epoch {epoch + 1} batch {i + 1}/{len(batches)} "
                           f"loss {stats['loss']:.3f} acc {stats['acc']:.3f} "
                           f"{stats['images_per_s']:.0f} img/s")
            if on_batch is not None:
                on_batch(stats)
            last = now
    loss_v, correct_v = loss_sum.item(), correct.item()  # the epoch's one host sync
    if not math.isfinite(loss_v):
        raise Diverged(f"diverged at epoch {epoch + 1}: the training loss is {loss_v}; lower "
                       f"the learning rate or add warm-up")
    train_s = time.perf_counter() - t0
    return {"epoch": epoch + 1, "lr": lr, "train_loss": loss_v / seen,
            "train_acc": correct_v / seen, "train_s": train_s,
            "train_images_per_s": seen / train_s}


def _progress(enabled: bool) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[stats]}"), TimeRemainingColumn(),
                    disable=not (enabled and rich.get_console().is_terminal),
                    transient=False)  # no bars in logs: a pipe or file gets epoch lines


def _resume_state(model, opt, scheduler, history, cfg: TrainConfig, spec, ema=None) -> dict:
    rng = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    return {"format": RESUME, "model": spec, "train_config": cfg.to_dict(),
            "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "optimizer": opt.state_dict(), "scheduler": scheduler.state_dict(),
            "history": history, "rng": rng,
            **({"ema": ema.state_dict()} if ema is not None else {})}


def _restore(ckpt: dict, model, opt, scheduler, spec, ema=None) -> list[dict]:
    if ckpt.get("format") != RESUME:
        raise CheckpointError("the checkpoint holds weights only, not a resume state; "
                              "resume needs the resume.pt that `dse train --resumable` writes.")
    if spec is not None and ckpt.get("model") not in (None, spec):
        raise CheckpointError(f"the resume checkpoint belongs to {ckpt['model']}, not {spec}.")
    load_weights(model, ckpt)
    opt.load_state_dict(ckpt["optimizer"])
    scheduler.load_state_dict(ckpt["scheduler"])
    if ema is not None:
        if "ema" not in ckpt:
            raise CheckpointError("the resume checkpoint has no weight average; it was written "
                                  "by a run without ema_decay.")
        ema.load_state_dict(ckpt["ema"])
    torch.set_rng_state(ckpt["rng"]["torch"])
    if "cuda" in ckpt["rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(ckpt["rng"]["cuda"])
    return list(ckpt["history"])

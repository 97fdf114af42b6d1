"""The `dse` command line: models, train, evaluate, run, studies, show, pareto, report."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.table import Table

from dse.errors import ConfigError, DseError

app = typer.Typer(help="Design-space exploration for compact CNNs on CIFAR (HPS, SqueezeNext).",
                  no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode="rich", context_settings={"help_option_names": ["-h", "--help"]})
console = Console()
err = Console(stderr=True)

DataDir = Annotated[Path | None, typer.Option(
    help="Folder holding cifar-10-batches-bin/-py or cifar-100-python/-binary "
         "[default: $DSE_DATA_DIR, else ./data].")]
Download = Annotated[bool, typer.Option(help="Download with torchvision if files are missing.")]
Device = Annotated[str, typer.Option(help="auto (CUDA if present), cpu, cuda, cuda:N.")]
Dataset = Annotated[str, typer.Option(help="cifar10 or cifar100.")]


def _kv(pairs: list[str] | None, flag: str) -> dict:
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise ConfigError(f"{flag} expects KEY=VALUE, got {pair!r}.")
        key, value = pair.split("=", 1)
        out[key.strip()] = yaml.safe_load(value)
    return out


@app.command("models")
def models_cmd(pattern: Annotated[str, typer.Argument(help="Shell pattern, e.g. 'hps-*'.")] = "*",
               as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False):
    """List the registered models with parameters, MACs, size and the papers' size."""
    from dse.models.table import model_rows

    rows = model_rows(pattern)
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title="dse model zoo (size = float32 state_dict bytes / 1e6)")
    for col in ("name", "blocks", "width", "params", "MACs/image", "size MB", "paper MB C10",
                "paper MB C100"):
        table.add_column(col, justify="left" if col in ("name", "blocks") else "right",
                         no_wrap=col == "name")
    for r in rows:
        table.add_row(r["name"], str(r["blocks"] or "-"), str(r["width"] or "-"),
                      f"{r['params']:,}", f"{r['macs']:,}", f"{r['size_mb']:.3f}",
                      _opt(r["paper_size_mb_cifar10"]), _opt(r["paper_size_mb_cifar100"]))
    console.print(table)


def _opt(v) -> str:
    return "-" if v is None else f"{v:g}"


@app.command("train")
def train_cmd(
    model: Annotated[str, typer.Option(help="Registered model name (see `dse models`).")],
    dataset: Dataset = "cifar10",
    epochs: Annotated[int, typer.Option(min=1)] = 10,
    subset: Annotated[int | None, typer.Option(help="Train on N images (balanced per class).")]
    = None,
    val_size: Annotated[int, typer.Option(
        help="Validation images carved from the training set; 0 validates on the test set.")]
    = 5000,
    optimizer: str = "sgd",
    lr: float = 0.1,
    momentum: Annotated[float, typer.Option(help="SGD/RMSprop momentum.")] = 0.9,
    nesterov: Annotated[bool, typer.Option(help="Nesterov momentum (SGD).")] = True,
    weight_decay: float = 5e-4,
    schedule: Annotated[str, typer.Option(
        help="constant, step, multistep, exponential, cosine, cosine_restarts, cyclic, "
             "onecycle, time.")] = "cosine",
    warmup: Annotated[float, typer.Option(help="Warm-up epochs (linear).")] = 0.0,
    label_smoothing: float = 0.0,
    batch_size: int = 128,
    augment: Annotated[bool, typer.Option(help="Random crop (pad 4) + horizontal flip.")] = True,
    opt_arg: Annotated[list[str] | None, typer.Option(help="Extra optimizer KEY=VALUE.")] = None,
    sched_arg: Annotated[list[str] | None, typer.Option(help="Schedule KEY=VALUE.")] = None,
    width: Annotated[float | None, typer.Option(help="Override the width multiplier.")] = None,
    resolution: Annotated[float | None, typer.Option(help="Input resolution multiplier.")] = None,
    activation: Annotated[str | None, typer.Option(help="relu, elu, ... (HPS/SqNxt).")] = None,
    dropout: Annotated[float | None, typer.Option(help="Dropout before the classifier.")] = None,
    seed: int = 0,
    device: Device = "auto",
    out: Annotated[Path | None, typer.Option(help="Output folder [default: runs/<model>].")]
    = None,
    resumable: Annotated[bool, typer.Option(
        help="Also write OUT/resume.pt after every epoch (model, optimizer, RNG...).")] = False,
    resume: Annotated[Path | None, typer.Option(help="Continue from a resume.pt.")] = None,
    data_dir: DataDir = None,
    download: Download = False,
):
    """Train one model from scratch; writes OUT/checkpoint.pt and OUT/metrics.json."""
    from dse.train import TrainConfig, load_checkpoint
    from dse.train.job import DataPlan, model_spec, run_training

    opt_kwargs = {"sgd": {"momentum": momentum, "nesterov": nesterov},
                  "rmsprop": {"momentum": momentum}}.get(optimizer.lower(), {})
    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, optimizer=optimizer, lr=lr,
                      optimizer_kwargs={**opt_kwargs, **_kv(opt_arg, "--opt-arg")},
                      weight_decay=weight_decay, schedule=schedule,
                      schedule_kwargs=_kv(sched_arg, "--sched-arg"), warmup_epochs=warmup,
                      label_smoothing=label_smoothing, augment=augment, seed=seed)
    spec = model_spec(model.lower(), width=width, resolution=resolution, activation=activation,
                      dropout=dropout)
    out = out or Path("runs") / model.lower()
    state = load_checkpoint(resume) if resume else None
    result = run_training(spec, cfg, DataPlan(dataset, val_size, subset, seed=seed), out, device,
                          data_dir, download, progress=True, resumable=resumable or bool(resume),
                          resume=state)
    f = result["final"]
    console.print(f"[bold green]done[/]: {spec['name']} val_acc {f['val_acc']:.4f} "
                  f"test_acc {f['test_acc']:.4f} epoch {f['epoch_time_s']:.1f}s "
                  f"size {f['size_mb']:.3f} MB -> {out}/checkpoint.pt, {out}/metrics.json")


@app.command("evaluate")
def evaluate_cmd(
    model: Annotated[str, typer.Option(help="Registered model name.")],
    checkpoint: Annotated[Path, typer.Option(help="checkpoint.pt written by dse train/run.")],
    dataset: Dataset = "cifar10",
    device: Device = "auto",
    data_dir: DataDir = None,
    download: Download = False,
):
    """Report the test accuracy of a checkpoint."""
    from dse.data import Batches
    from dse.train import evaluate, load_checkpoint, load_weights, resolve_device
    from dse.train.job import DataPlan, build_model, model_spec, prepare_data

    ckpt = load_checkpoint(checkpoint)
    spec = ckpt.get("model") or model_spec(model.lower())
    if spec["name"] != model.lower():
        spec = model_spec(model.lower())
    net = build_model(spec, dataset)
    load_weights(net, ckpt, checkpoint)
    dev = resolve_device(device)
    _, _, test = prepare_data(DataPlan(dataset, val_size=0), getattr(
        getattr(net, "config", None), "resolution", 1.0), data_dir, download)
    ev = evaluate(net.to(dev), Batches(test, dataset, 1000, dev, train=False))
    console.print(f"{model}: test accuracy {ev['accuracy']:.4f} (loss {ev['loss']:.4f}) on "
                  f"{len(test):,} {dataset} test images")


def main() -> None:
    """Entry point: run the app, turning user errors into one paragraph and an exit code."""
    try:
        app()
    except DseError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]: finished work is saved; run the command again to "
                  "continue.")
        sys.exit(130)


if __name__ == "__main__":
    main()

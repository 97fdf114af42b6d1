"""`dse models`, `dse train`, `dse evaluate`: the zoo and single training runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from dse.cli.common import (
    _R,
    Compile,
    DataDir,
    Dataset,
    Device,
    Download,
    _kv,
    app,
    console,
)


@app.command("models")
def models_cmd(pattern: Annotated[str, typer.Argument(help="Shell pattern, e.g. 'hps-*'.")] = "*",
               as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False):
    """List the registered models with parameters, MACs, size and the papers' size."""
    from dse.zoo import model_rows

    rows = model_rows(pattern)
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title="dse model zoo (size = float32 state_dict bytes / 1e6)")
    for col in ("name", "config", "params", "MACs/image", "size MB", "paper MB C10",
                "paper MB C100"):
        table.add_column(col, justify="left" if col in ("name", "config") else "right",
                         no_wrap=col == "name")
    for r in rows:
        table.add_row(r["name"], r["config"], f"{r['params']:,.0f}", f"{r['macs']:,.0f}",
                      f"{r['size_mb']:.3f}", _opt(r["paper_size_mb_cifar10"]),
                      _opt(r["paper_size_mb_cifar100"]))
    console.print(table)


def _opt(v) -> str:
    return "-" if v is None else f"{v:g}"


@app.command("train")
def train_cmd(
    model: Annotated[str | None, typer.Option(
        help="Registered model name (see `dse models`); or --model-from.")] = None,
    model_from: Annotated[Path | None, typer.Option(
        help="Train, from scratch, the architecture a checkpoint holds: a study trial's "
             "studies/<study>/trial-NNNNN.pt, a confirmation's or a run's checkpoint.pt "
             "(its weights are not used; --model-arg still overrides).")] = None,
    dataset: Dataset = "cifar10",
    epochs: Annotated[int, typer.Option(min=1)] = 10,
    subset: Annotated[int | None, typer.Option(help="Train on N images (balanced per class).")]
    = None,
    val_size: Annotated[int, typer.Option(
        help="Validation images carved from the training set; 0 validates on the test set.")]
    = 5000,
    optimizer: str = _R.optimizer,
    lr: float = _R.lr,
    momentum: Annotated[float, typer.Option(help="SGD/RMSprop momentum.")]
    = _R.optimizer_kwargs["momentum"],
    nesterov: Annotated[bool, typer.Option(help="Nesterov momentum (SGD).")]
    = _R.optimizer_kwargs["nesterov"],
    weight_decay: float = _R.weight_decay,
    schedule: Annotated[str, typer.Option(
        help="constant, step, multistep, exponential, cosine, cosine_restarts, cyclic, "
             "onecycle, time.")] = _R.schedule,
    warmup: Annotated[float, typer.Option(help="Warm-up epochs (linear).")] = _R.warmup_epochs,
    label_smoothing: float = _R.label_smoothing,
    batch_size: int = _R.batch_size,
    augment: Annotated[bool, typer.Option(help="Random crop (pad 4) + horizontal flip.")]
    = _R.augment,
    ema_decay: Annotated[float, typer.Option(
        min=0.0, max=0.99999, help="Evaluate and keep an exponential moving average of the "
                                   "weights, e.g. 0.999 per step (0: off).")] = _R.ema_decay,
    tta_flip: Annotated[bool, typer.Option(
        help="Also report accuracy averaged with the mirrored image (an extra figure; the "
             "reported accuracy stays single-view).")] = _R.tta_flip,
    opt_arg: Annotated[list[str] | None, typer.Option(help="Extra optimizer KEY=VALUE.")] = None,
    sched_arg: Annotated[list[str] | None, typer.Option(help="Schedule KEY=VALUE.")] = None,
    model_arg: Annotated[list[str] | None, typer.Option(
        help="Override a dimension of the model's family, KEY=VALUE (repeatable), e.g. "
             "width=0.75, activation=elu, resolution=0.75, dropout=0.2; `dse models` shows "
             "each family's dimensions.")] = None,
    seed: int = 0,
    device: Device = "auto",
    compile: Compile = "auto",
    out: Annotated[Path | None, typer.Option(help="Output folder [default: runs/<model>].")]
    = None,
    resumable: Annotated[bool, typer.Option(
        help="Also write OUT/resume.pt after every epoch (model, optimizer, RNG...).")] = False,
    resume: Annotated[Path | None, typer.Option(help="Continue from a resume.pt.")] = None,
    data_dir: DataDir = None,
    download: Download = False,
):
    """Train one model from scratch; writes OUT/checkpoint.pt and OUT/metrics.json."""
    from dse.errors import ConfigError
    from dse.models import model_spec
    from dse.train import TrainConfig, load_checkpoint, load_model
    from dse.train.compiling import check_mode
    from dse.train.job import DataPlan, run_training

    check_mode(compile)
    if (model is None) == (model_from is None):
        raise ConfigError("name the architecture once: --model NAME (see `dse models`) or "
                          "--model-from CHECKPOINT (a trial's or a run's .pt file).")
    dims: dict = {}
    if model_from is not None:  # the saved spec, validated by its family before building
        dims = dict(load_model(model_from, dataset=dataset)[1])
        model = dims.pop("name")
    opt_kwargs = {"sgd": {"momentum": momentum, "nesterov": nesterov},
                  "rmsprop": {"momentum": momentum}}.get(optimizer.lower(), {})
    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, optimizer=optimizer, lr=lr,
                      optimizer_kwargs={**opt_kwargs, **_kv(opt_arg, "--opt-arg")},
                      weight_decay=weight_decay, schedule=schedule,
                      schedule_kwargs=_kv(sched_arg, "--sched-arg"), warmup_epochs=warmup,
                      label_smoothing=label_smoothing, augment=augment, seed=seed,
                      ema_decay=ema_decay, tta_flip=tta_flip).check()
    spec = model_spec(model.lower(), **{**dims, **_kv(model_arg, "--model-arg")})
    out = out or Path("runs") / model.lower()
    state = load_checkpoint(resume) if resume else None
    result = run_training(spec, cfg, DataPlan(dataset, val_size, subset, seed=seed), out, device,
                          data_dir, download, progress=True, resumable=resumable or bool(resume),
                          resume=state, compile=compile,
                          say=lambda m: console.print(m.strip(), markup=False))
    f = result["final"]
    console.print(Text("done", style="bold green"),
                  f": {spec['name']} val_acc {f['val_acc']:.4f} test_acc {f['test_acc']:.4f} "
                  f"epoch {f['epoch_time_s']:.1f}s "
                  f"size {f['size_mb']:.3f} MB -> {out}/checkpoint.pt, {out}/metrics.json"
                  + (f"; with the mirrored image: test_acc {f['test_acc_flip']:.4f}"
                     if "test_acc_flip" in f else ""), sep="")


@app.command("evaluate")
def evaluate_cmd(
    checkpoint: Annotated[Path, typer.Option(help="checkpoint.pt from dse train, or a study's "
                                                  "studies/<study>/trial-NNNNN.pt.")],
    model: Annotated[str | None, typer.Option(
        help="Registered model name [default: the one saved in the checkpoint].")] = None,
    dataset: Dataset = "cifar10",
    device: Device = "auto",
    data_dir: DataDir = None,
    download: Download = False,
    tta_flip: Annotated[bool, typer.Option(
        help="Also report the accuracy with each image's softmax averaged with its mirror "
             "image's (an extra figure; the first stays single-view).")] = False,
):
    """Report the test accuracy of a checkpoint."""
    from dse.train import TrainConfig, load_model
    from dse.train.job import evaluate_on_test

    net, spec = load_model(checkpoint, model, dataset)
    ev = evaluate_on_test(net, dataset, data_dir, download, device,
                          TrainConfig(tta_flip=tta_flip))
    flip = (f"; {ev['accuracy_flip']:.4f} averaged with the mirrored image"
            if tta_flip else "")
    console.print(f"{spec['name']}: test accuracy {ev['accuracy']:.4f} (loss {ev['loss']:.4f}) "
                  f"on {ev['images']:,} {dataset} test images{flip}", markup=False)

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
from dse.errors import ConfigError


@app.command("models")
def models_cmd(pattern: Annotated[str, typer.Argument(help="Shell pattern, e.g. 'hps-*'.")] = "*",
               as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False):
    """List the registered models with parameters, MACs, size and the papers' size."""
    # lazy: the zoo builds models (torch); `dse --help` must not
    from dse.zoo import model_rows

    rows = model_rows(pattern)
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title="dse model zoo (size = float32 state_dict bytes / 1e6; pretrained: "
                        "the shipped weights' test accuracy)")
    for col in ("name", "config", "params", "MACs/image", "size MB", "paper MB C10",
                "paper MB C100", "pretrained"):
        table.add_column(col, justify="left" if col in ("name", "config") else "right",
                         no_wrap=col == "name")
    for r in rows:
        table.add_row(r["name"], r["config"], f"{r['params']:,.0f}", f"{r['macs']:,.0f}",
                      f"{r['size_mb']:.3f}", _opt(r["paper_size_mb_cifar10"]),
                      _opt(r["paper_size_mb_cifar100"]),
                      "-" if r["pretrained"] is None else
                      f"{r['pretrained']['test_accuracy']:.2%} {r['pretrained']['dataset']}")
    console.print(table)


def _opt(v) -> str:
    return "-" if v is None else f"{v:g}"


ModelName = Annotated[str | None, typer.Option(
    help="Registered model name (see `dse models`); or --model-from.")]
ModelFrom = Annotated[Path | None, typer.Option(
    help="Train, from scratch, the architecture a checkpoint holds: a study trial's "
         "studies/<study>/trial-NNNNN.pt, a confirmation's or a run's checkpoint.pt (its "
         "weights are not used; --model-arg still overrides).")]
Epochs = Annotated[int, typer.Option(min=1)]
Subset = Annotated[int | None, typer.Option(help="Train on N images (balanced per class).")]
ValSize = Annotated[int, typer.Option(
    help="Validation images carved from the training set; 0 validates on the test set.")]
Momentum = Annotated[float, typer.Option(help="SGD/RMSprop momentum.")]
Nesterov = Annotated[bool, typer.Option(help="Nesterov momentum (SGD).")]
Schedule = Annotated[str, typer.Option(
    help="constant, step, multistep, exponential, cosine, cosine_restarts, cyclic, onecycle, "
         "time.")]
Warmup = Annotated[float, typer.Option(help="Warm-up epochs (linear).")]
Augment = Annotated[bool, typer.Option(help="Random crop (pad 4) + horizontal flip.")]
EmaDecay = Annotated[float, typer.Option(
    min=0.0, max=0.99999, help="Evaluate and keep an exponential moving average of the "
                               "weights, e.g. 0.999 per step (0: off).")]
TtaFlip = Annotated[bool, typer.Option(
    help="Also report accuracy averaged with the mirrored image (an extra figure; the "
         "reported accuracy stays single-view).")]
OptArg = Annotated[list[str] | None, typer.Option(help="Extra optimizer KEY=VALUE.")]
SchedArg = Annotated[list[str] | None, typer.Option(help="Schedule KEY=VALUE.")]
ModelArg = Annotated[list[str] | None, typer.Option(
    help="Override a dimension of the model's family, KEY=VALUE (repeatable), e.g. "
         "width=0.75, activation=elu, resolution=0.75, dropout=0.2; `dse models` shows each "
         "family's dimensions.")]
RecipeArg = Annotated[list[str] | None, typer.Option(
    help="A recipe setting without an option of its own, KEY=VALUE (repeatable): "
         "policy=trivialaugment (an augmentation policy), "
         "erasing=0.25 (chance of random erasing), mix=mixup or mix=cutmix, mix_alpha=1.0, "
         "mix_ramp=0.1 (fraction of the epochs over which mixing ramps up).")]
EXTRA_RECIPE = ("policy", "erasing", "mix", "mix_alpha", "mix_ramp", "precision")
Out = Annotated[Path | None, typer.Option(help="Output folder [default: runs/<model>].")]
Resumable = Annotated[bool, typer.Option(
    help="Also write OUT/resume.pt after every epoch (model, optimizer, RNG...).")]
Resume = Annotated[Path | None, typer.Option(help="Continue from a resume.pt.")]
_M = _R.optimizer_kwargs


def _recipe(pairs: list[str] | None) -> dict:
    extra = _kv(pairs, "--recipe-arg")
    unknown = sorted(set(extra) - set(EXTRA_RECIPE))
    if unknown:
        raise ConfigError(f"--recipe-arg takes {', '.join(EXTRA_RECIPE)}; {unknown[0][:40]!r} "
                          f"has an option of its own or is not a recipe setting.")
    return extra


@app.command("train")
def train_cmd(
    model: ModelName = None, model_from: ModelFrom = None, dataset: Dataset = "cifar10",
    epochs: Epochs = 10, subset: Subset = None, val_size: ValSize = 5000,
    optimizer: str = _R.optimizer, lr: float = _R.lr, momentum: Momentum = _M["momentum"],
    nesterov: Nesterov = _M["nesterov"], weight_decay: float = _R.weight_decay,
    schedule: Schedule = _R.schedule, warmup: Warmup = _R.warmup_epochs,
    label_smoothing: float = _R.label_smoothing, batch_size: int = _R.batch_size,
    augment: Augment = _R.augment, ema_decay: EmaDecay = _R.ema_decay,
    tta_flip: TtaFlip = _R.tta_flip, opt_arg: OptArg = None, sched_arg: SchedArg = None,
    model_arg: ModelArg = None, recipe_arg: RecipeArg = None, seed: int = 0,
    device: Device = "auto",
    compile: Compile = "auto", out: Out = None, resumable: Resumable = False,
    resume: Resume = None, data_dir: DataDir = None, download: Download = False,
):
    """Train one model from scratch; writes OUT/checkpoint.pt and OUT/metrics.json."""
    from dse import api  # lazy: `dse --help` loads neither torch nor optuna
    from dse.train.recipe import TrainConfig  # lazy: as above

    opt_kwargs = {"sgd": {"momentum": momentum, "nesterov": nesterov},
                  "rmsprop": {"momentum": momentum}}.get(optimizer.lower(), {})
    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, optimizer=optimizer, lr=lr,
                      optimizer_kwargs={**opt_kwargs, **_kv(opt_arg, "--opt-arg")},
                      weight_decay=weight_decay, schedule=schedule,
                      schedule_kwargs=_kv(sched_arg, "--sched-arg"), warmup_epochs=warmup,
                      label_smoothing=label_smoothing, augment=augment, seed=seed,
                      ema_decay=ema_decay, tta_flip=tta_flip, **_recipe(recipe_arg))
    result = api.train(model, model_from=model_from, model_args=_kv(model_arg, "--model-arg"),
                  recipe=cfg, dataset=dataset, subset=subset, val_size=val_size, device=device,
                  compile=compile, out=out, resumable=resumable, resume=resume,
                  data_dir=data_dir, download=download, progress=True,
                  say=lambda m: console.print(m.strip(), markup=False))
    r, out = result
    m = r.measurements
    val = f"val_acc {m['accuracy']:.4f} " if "accuracy" in m else ""
    flip = f"; with the mirrored image: test_acc {m['test_accuracy_flip']:.4f}" \
        if "test_accuracy_flip" in m else ""
    console.print(Text("done", style="bold green"),
                  f": {r.candidate.model['name']} {val}test_acc {m['test_accuracy']:.4f} epoch "
                  f"{m['epoch_time_s']:.1f}s size {m['size_mb']:.3f} MB -> {out}/checkpoint.pt, "
                  f"{out}/metrics.json{flip}", sep="")


@app.command("evaluate")
def evaluate_cmd(
    checkpoint: Annotated[Path | None, typer.Option(
        help="checkpoint.pt from dse train, or a study's studies/<study>/trial-NNNNN.pt.")]
    = None,
    model: Annotated[str | None, typer.Option(
        help="Registered model name [default: the one saved in the checkpoint].")] = None,
    pretrained: Annotated[bool, typer.Option(
        "--pretrained", help="Evaluate --model with the weights dse ships for it (`dse "
                             "models` lists them), instead of a checkpoint.")] = False,
    dataset: Dataset = "cifar10", device: Device = "auto", data_dir: DataDir = None,
    download: Download = False,
    tta_flip: Annotated[bool, typer.Option(
        help="Also report the accuracy with each image's softmax averaged with its mirror "
             "image's (an extra figure; the first stays single-view).")] = False,
):
    """Report the test accuracy of a checkpoint, or of a model's shipped weights."""
    from dse import api  # lazy: `dse --help` loads neither torch nor optuna

    ev = api.evaluate(checkpoint, model=model, pretrained=pretrained, dataset=dataset,
                      device=device, data_dir=data_dir, download=download, tta_flip=tta_flip)
    flip = (f"; {ev['accuracy_flip']:.4f} averaged with the mirrored image"
            if tta_flip else "")
    console.print(f"{ev['spec']['name']}: test accuracy {ev['accuracy']:.4f} (loss "
                  f"{ev['loss']:.4f}) on {ev['images']:,} {dataset} test images{flip}",
                  markup=False)

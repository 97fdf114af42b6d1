"""The `dse` command line: models, train, evaluate, run, studies, show, pareto, report."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

from dse.errors import ConfigError, DseError, Interrupted, Terminated
from dse.train.recipe import DEFAULT_RECIPE

app = typer.Typer(help="Design-space exploration for compact CNNs on CIFAR (HPS, SqueezeNext).",
                  no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]})
# User strings (study names, paths, constraints, error text) are never read as rich markup.
console = Console(markup=False)
err = Console(stderr=True, markup=False, highlight=False)
_R = DEFAULT_RECIPE

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
    model: Annotated[str, typer.Option(help="Registered model name (see `dse models`).")],
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
    opt_arg: Annotated[list[str] | None, typer.Option(help="Extra optimizer KEY=VALUE.")] = None,
    sched_arg: Annotated[list[str] | None, typer.Option(help="Schedule KEY=VALUE.")] = None,
    model_arg: Annotated[list[str] | None, typer.Option(
        help="Override a dimension of the model's family, KEY=VALUE (repeatable), e.g. "
             "width=0.75, activation=elu, resolution=0.75, dropout=0.2; `dse models` shows "
             "each family's dimensions.")] = None,
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
    from dse.models import model_spec
    from dse.train import TrainConfig, load_checkpoint
    from dse.train.job import DataPlan, run_training

    opt_kwargs = {"sgd": {"momentum": momentum, "nesterov": nesterov},
                  "rmsprop": {"momentum": momentum}}.get(optimizer.lower(), {})
    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, optimizer=optimizer, lr=lr,
                      optimizer_kwargs={**opt_kwargs, **_kv(opt_arg, "--opt-arg")},
                      weight_decay=weight_decay, schedule=schedule,
                      schedule_kwargs=_kv(sched_arg, "--sched-arg"), warmup_epochs=warmup,
                      label_smoothing=label_smoothing, augment=augment, seed=seed)
    spec = model_spec(model.lower(), **_kv(model_arg, "--model-arg"))
    out = out or Path("runs") / model.lower()
    state = load_checkpoint(resume) if resume else None
    result = run_training(spec, cfg, DataPlan(dataset, val_size, subset, seed=seed), out, device,
                          data_dir, download, progress=True, resumable=resumable or bool(resume),
                          resume=state)
    f = result["final"]
    console.print(Text("done", style="bold green"),
                  f": {spec['name']} val_acc {f['val_acc']:.4f} test_acc {f['test_acc']:.4f} "
                  f"epoch {f['epoch_time_s']:.1f}s "
                  f"size {f['size_mb']:.3f} MB -> {out}/checkpoint.pt, {out}/metrics.json", sep="")


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
):
    """Report the test accuracy of a checkpoint."""
    from dse.train import load_model
    from dse.train.job import evaluate_on_test

    net, spec = load_model(checkpoint, model, dataset)
    ev = evaluate_on_test(net, dataset, data_dir, download, device)
    console.print(f"{spec['name']}: test accuracy {ev['accuracy']:.4f} (loss {ev['loss']:.4f}) "
                  f"on {ev['images']:,} {dataset} test images", markup=False)


space_app = typer.Typer(help="Inspect and validate search spaces.", no_args_is_help=True)
app.add_typer(space_app, name="space")
Storage = Annotated[str | None, typer.Option(
    help="SQLAlchemy URL of the study store [default: $DSE_STORAGE, else "
         "sqlite:///studies/dse.db].")]


@space_app.command("validate")
def space_validate(file: Annotated[str, typer.Argument(help="YAML file or shipped name.")]):
    """Check a search space file; exit 2 with the key path and allowed values if invalid."""
    from dse.search.space import cardinality, load_space

    space = load_space(file)
    console.print(Text("ok", style="green"), f": {file} defines space {space.name!r} "
                  f"(study {space.study!r}, {len(space.objectives)} objectives, "
                  f"{cardinality(space):g} candidates, fidelities "
                  f"{', '.join(space.fidelities)})", sep="")


@space_app.command("show")
def space_show(name: Annotated[str, typer.Argument(help="Shipped space name or YAML path.")]):
    """Print a space's dimensions, cardinality and an example candidate."""
    import optuna

    from dse.search.space import cardinality, describe, load_space, sample

    space = load_space(name)
    table = Table(title=f"{space.name}: {space.description}")
    table.add_column("dimension", no_wrap=True)
    table.add_column("values")
    for dim, text in describe(space):
        table.add_row(dim, text)
    console.print(table)
    goals = ", ".join(f"{o} ({d})" for o, d in zip(space.objectives, space.directions,
                                                   strict=True))
    console.print(f"study {space.study!r} on {space.dataset}; objectives {goals}; "
                  f"constraints {space.constraints or 'none'}; sampler {space.sampler}; "
                  f"cardinality {cardinality(space):g}")
    for fname, fid in space.fidelities.items():
        mark = " (default)" if fname == space.default_fidelity else ""
        console.print(f"fidelity {fname}{mark}: {fid.model_dump(exclude_none=True)}"
                      + (f", rungs at epochs {fid.rungs()}" if fid.rungs() else ""))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trial = optuna.create_study(directions=space.directions).ask()
    console.print("example candidate:", sample(space, trial))


@app.command("run")
def run_cmd(
    space: Annotated[str, typer.Option(help="Shipped space name (e.g. hps_cifar10) or YAML.")],
    study: Annotated[str | None, typer.Option(help="Study name [default: the space's].")] = None,
    storage: Storage = None,
    trials: Annotated[int | None, typer.Option(min=1, help="Trials to run now.")] = None,
    timeout: Annotated[str | None, typer.Option(help="Stop starting trials after 90s, 30m, "
                                                     "2h...")] = None,
    fidelity: Annotated[str | None, typer.Option(help="smoke, quick, proxy, full... "
                                                      "[default: the space's].")] = None,
    device: Device = "auto",
    seed: Annotated[int, typer.Option(help="Seed of data split, training and sampler.")] = 0,
    constraint: Annotated[list[str] | None, typer.Option(
        help="Extra constraint, e.g. 'size_mb <= 1.0' (repeatable); size, params, MACs and "
             "latency are checked before training.")] = None,
    artifacts: Annotated[Path, typer.Option(help="Where trial checkpoints go.")]
    = Path("studies"),
    data_dir: DataDir = None,
    download: Download = False,
    log_format: Annotated[str, typer.Option(
        help="auto (a live view on a terminal, plain lines otherwise), rich, or plain (one "
             "line per event, for logs).")] = "auto",
    quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                        help="One line per trial, nothing else.")] = False,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Local worker processes on one "
                                         "store; --trials is split between them.")] = 1,
    threads: Annotated[int | None, typer.Option(min=1, max=256, help="Threads per worker "
                                                "[default: the CPU cores / --workers].")]
    = None,
):
    """Run or continue a multi-objective study (running it again continues it)."""
    from dse.search.space import load_space
    from dse.search.study import parse_duration, run_study

    sp = load_space(space)
    if constraint:
        from dse.constraints import parse_all

        try:
            extra = parse_all(constraint)
        except ConfigError as exc:
            raise ConfigError(f"--constraint: {exc}") from None
        sp = sp.model_copy(update={"constraints": [*sp.constraints, *extra]})
    if trials is None and timeout is None:
        raise ConfigError("give --trials N and/or --timeout DURATION, e.g. --trials 20.")
    if log_format not in ("auto", "rich", "plain"):
        raise ConfigError(f"--log-format is auto, rich or plain, not {log_format[:30]!r}.")
    cores = os.cpu_count() or 1
    threads = threads or max(1, cores // workers)
    if workers > 1:
        import optuna

        from dse.search.study import prepare_study
        from dse.search.workers import run_workers

        name, fid = prepare_study(sp, study, storage, trials, fidelity, seed, data_dir,
                                  download, console)
        base = ["--space", space, "--study", name, "--fidelity", fid, "--device", device,
                "--artifacts", str(artifacts)]
        for flag, value in (("--storage", storage), ("--timeout", timeout),
                            ("--data-dir", data_dir)):
            if value is not None:
                base += [flag, str(value)]
        for c in constraint or []:
            base += ["--constraint", c]
        base += ["--quiet"] if quiet else []
        code = run_workers(base, trials, workers, threads, seed,
                           lambda m: console.print(m, markup=False, soft_wrap=True))
        from dse.store import Store

        console.print(_study_line(optuna.load_study(study_name=name,
                                                    storage=Store(storage).optuna)),
                      soft_wrap=True)
        if code:
            sys.exit(code)
        return
    import torch

    torch.set_num_threads(threads)
    result = run_study(sp, study, storage, trials, parse_duration(timeout), fidelity, device,
                       seed, data_dir, download, artifacts, console, log_format, quiet)
    console.print(_study_line(result), soft_wrap=True)


def _study_line(study) -> str:
    """'study 'hps': 40 finished trials (10 queued) in the store; ...'."""
    finished = sum(t.state.is_finished() for t in study.trials)
    waiting = sum(t.state.name == "WAITING" for t in study.trials)
    queued = f" ({waiting} queued for the next run)" if waiting else ""
    return (f"study {study.study_name!r}: {finished} finished trials{queued} in the store; "
            f"`dse pareto --study {study.study_name}` shows the front.")


@app.command("studies")
def studies_cmd(storage: Storage = None):
    """List the studies in a store with trial counts by state."""
    import optuna

    from dse.store import Store

    store = Store(storage, create=False)
    summaries = optuna.get_all_study_summaries(store.optuna)
    if not summaries:
        console.print(f"no studies in {store.safe_url}")
        return
    table = Table(title=f"studies in {store.safe_url}")
    for col in ("study", "space", "fidelity", "complete", "pruned", "infeasible", "failed",
                "running"):
        table.add_column(col, justify="left" if col in ("study", "space", "fidelity") else
                         "right")
    for s in summaries:
        recs = store.trials(s.study_name)
        by = {k: sum(r.status == k for r in recs) for k in ("complete", "pruned", "infeasible",
                                                             "failed", "running")}
        table.add_row(s.study_name, str(s.user_attrs.get("space", "-")),
                      str(s.user_attrs.get("fidelity", "-")),
                      *[str(by[k]) for k in ("complete", "pruned", "infeasible", "failed",
                                             "running")])
    console.print(table)


@app.command("show")
def show_cmd(study: Annotated[str, typer.Option(help="Study name.")],
             trial: Annotated[int | None, typer.Option(help="Trial number.")] = None,
             storage: Storage = None):
    """Print a trial's config, curve summary and measurements (or the study's trials)."""
    from dse.report.data import load_study_frame, trial_detail

    if trial is None:
        frame = load_study_frame(study, storage)
        console.print(frame.drop(columns=["candidate"], errors="ignore").to_string())
        return
    detail = trial_detail(study, trial, storage)
    console.print_json(json.dumps(detail, default=str))


@app.command("pareto")
def pareto_cmd(
    study: Annotated[str, typer.Option(help="Study name (see `dse studies`).")],
    storage: Storage = None,
    objectives: Annotated[str | None, typer.Option(
        help="Project onto two or three objectives, e.g. accuracy,latency_ms "
             "[default: the study's].")] = None,
    out: Annotated[Path | None, typer.Option(help="Report folder [default: reports/STUDY].")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the front as JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print the front as CSV.")] = False,
):
    """Print the non-dominated trials and write reports/STUDY/pareto.html (a projection
    with --objectives goes to its own pareto-A-B.html)."""
    from dse.report.build import pareto_page
    from dse.report.data import load_study_frame, pareto_mask

    frame = load_study_frame(study, storage)
    objs = objectives.split(",") if objectives else frame.attrs["objectives"]
    done = frame[frame["status"] == "complete"] if len(frame) else frame
    if done.empty:
        raise DseError(f"study {study!r} has no completed trials yet ({len(frame)} trials in "
                       f"all); run `dse run` longer, or look at `dse studies`.")
    front = frame[pareto_mask(frame, objs)].sort_values(objs[0])
    from dse.paths import output_folder, study_folder

    folder = Path(out) if out else study_folder("reports", study)
    output_folder(folder)
    path = pareto_page(frame, objs, folder)
    from dse.report.build import table_columns

    cols = [c for c in table_columns(frame, details=False) if c != "status"] + ["checkpoint"]
    if as_json or as_csv:
        data = front[cols]
        print(data.to_json(orient="records", indent=2) if as_json else data.to_csv(index=False))
        err.print(f"wrote {path}", markup=False)
        return
    table = Table(title=f"{study}: {len(front)} non-dominated of {len(done)} completed trials "
                        f"on {', '.join(objs)}")
    shown = ["trial", "model", "recipe"] + [c for c in cols if c in objs or (
        c.endswith("_std") and c.removesuffix("_std") in objs)]
    shown += [c for c in ("test_accuracy", "test_accuracy_std", "size_mb", "latency_ms")
              if c in cols and c not in shown]
    for c in shown:
        table.add_column(_header(c), justify="left" if c in ("model", "recipe") else "right")
    for _, r in front.iterrows():
        table.add_row(*[_cell(c, r[c]) for c in shown])
    console.print(table)
    console.print(f"wrote {path}", markup=False)


def _cell(column: str, value) -> Text:
    """A table cell as plain text (never rich markup): metrics in their format."""
    from dse.report.data import format_value, metric_of

    m = metric_of(column)
    return Text(m.format(value) if m is not None else format_value(column, value))


def _header(column: str) -> str:
    from dse.report.data import metric_of

    m = metric_of(column)
    if m is None or not m.unit:
        return column
    return f"{column} ({m.unit})"


@app.command("report")
def report_cmd(
    study: Annotated[str, typer.Option(help="Study name.")],
    storage: Storage = None,
    out: Annotated[Path | None, typer.Option(help="Report folder [default: reports/STUDY].")]
    = None,
    watch: Annotated[bool, typer.Option(help="Regenerate until Ctrl-C; pages auto-refresh.")]
    = False,
    interval: Annotated[int, typer.Option(min=2, help="Seconds between regenerations.")] = 15,
):
    """Write the study's HTML report (index, Pareto, hypervolume, parameters, trials)."""
    import time

    from dse.report.build import build_report

    while True:
        index = build_report(study, storage, out, refresh=interval if watch else None)
        console.print(f"wrote {index}" + (f" (next in {interval}s; Ctrl-C stops)" if watch
                                          else ""))
        if not watch:
            return
        time.sleep(interval)


def _confirmed_checkpoint(study: str, trial: int | None, storage: str | None
                          ) -> tuple[Path, dict, dict]:
    """The checkpoint of a trial's confirmation (whole training set first, then the longest
    run, seed 0); without --trial, of the best confirmed trial."""
    from dse.report.data import load_study_frame
    from dse.store import Store

    runs = [r for r in Store(storage, create=False).confirmations(study)
            if r.status == "complete" and r.number >= 0 and r.checkpoint
            and (trial is None or r.number == trial)]
    if not runs:
        raise ConfigError(f"study {study!r} has no completed confirmation"
                          f"{'' if trial is None else f' of trial {trial}'}; run `dse confirm "
                          f"--study {study}` first.")
    if trial is None:
        trial = max(runs, key=lambda r: r.test_accuracy).number
        runs = [r for r in runs if r.number == trial]
        err.print(f"exporting trial {trial}, the best confirmed on the test set")
    best = max(runs, key=lambda r: (r.train_images == 0, r.epochs, -r.seed))
    frame = load_study_frame(study, storage)
    row = frame[frame["trial"] == trial].iloc[0]
    images = "the whole training set" if best.train_images == 0 else \
        f"{best.train_images:,} training images"
    facts = {"dataset": frame.attrs.get("dataset", "cifar10"), "study": study,
             "trial": int(trial), "confirmed_test_accuracy": best.test_accuracy,
             "training": f"{best.epochs} epochs on {images} (dse confirm, seed {best.seed}), "
                         f"test accuracy {best.test_accuracy:.2%} in PyTorch",
             "fidelity": frame.attrs.get("fidelity"),
             "study_accuracy": _plain(row.get("accuracy")), "epochs": _plain(row.get("epochs"))}
    return Path(best.checkpoint), facts, dict(best.measurements or {})


def _trial_checkpoint(study: str, trial: int | None, storage: str | None
                      ) -> tuple[Path, dict, dict]:
    """(checkpoint, dataset-and-study facts, measurements) of a completed trial."""
    from dse.report.data import load_study_frame

    frame = load_study_frame(study, storage)
    if trial is None:  # the front's best trial on the study's first objective
        from dse import metrics
        from dse.report.data import pareto_mask

        first = frame.attrs["objectives"][0]
        front = frame[pareto_mask(frame, frame.attrs["objectives"])]
        if front.empty:
            raise ConfigError(f"study {study!r} has no completed trial to export yet.")
        best = front[first].idxmax() if metrics.get_metric(first).direction == "maximize" \
            else front[first].idxmin()
        trial = int(front.loc[best, "trial"])
        err.print(f"exporting trial {trial}, the front's best on {first}")
    hit = frame[frame["trial"] == trial]
    if hit.empty:
        raise ConfigError(f"study {study!r} has no trial {trial}.")
    row = hit.iloc[0]
    if row["status"] != "complete" or not row["checkpoint"]:
        raise ConfigError(f"trial {trial} of {study!r} is {row['status']} and has no "
                          f"checkpoint; pick a completed trial (`dse pareto --study {study}`).")
    facts = {"study": study, "trial": int(trial), "fidelity": frame.attrs.get("fidelity"),
             "study_accuracy": _plain(row.get("accuracy")), "epochs": _plain(row.get("epochs"))}
    meas = {k: _plain(row.get(k)) for k in ("params", "macs", "size_mb")
            if row.get(k) is not None}
    return Path(row["checkpoint"]), {"dataset": frame.attrs.get("dataset", "cifar10"),
                                     **facts}, meas


def _plain(v):
    """numpy scalars as Python numbers (JSON), NaN as None."""
    import math

    if v is None:
        return None
    v = v.item() if hasattr(v, "item") else v
    return None if isinstance(v, float) and math.isnan(v) else v


def _run_facts(checkpoint: Path) -> dict:
    """What `dse train` recorded beside a checkpoint (metrics.json), for the model card."""
    path = checkpoint.parent / "metrics.json"
    try:
        m = json.loads(path.read_text())
        return {"training": f"{m['train_config']['epochs']} epochs on {m['train_images']:,} "
                            f"{m['dataset']} training images (dse train), test accuracy "
                            f"{m['final']['test_acc']:.2%} in PyTorch",
                "dataset": m["dataset"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _model_from(study, trial, model, checkpoint, storage, dataset, confirmed=False):
    from dse.train import load_model

    if (study is None) == (checkpoint is None) or (study is None and trial is not None):
        raise ConfigError("give either --study S [--trial N], or --checkpoint PATH (with "
                          "--model NAME for a bare state_dict).")
    facts, meas = {"dataset": dataset}, {}
    if study is not None:
        pick = _confirmed_checkpoint if confirmed else _trial_checkpoint
        checkpoint, facts, meas = pick(study, trial, storage)
    else:
        facts.update(_run_facts(checkpoint))
    net, spec = load_model(checkpoint, model, facts["dataset"])
    return net, spec, facts, meas, checkpoint


@app.command("confirm")
def confirm_cmd(
    study: Annotated[str, typer.Option(help="Study whose candidates to confirm.")],
    top: Annotated[int | None, typer.Option(min=1, help="Only the K best of the front (by "
                                            "the study's first objective).")] = None,
    trials: Annotated[str | None, typer.Option(help="Confirm these trials instead of the "
                                               "front, e.g. 3,7,9.")] = None,
    sample: Annotated[int, typer.Option(min=0, help="Also confirm N random non-front trials, "
                                        "so the proxy check is not made on the front "
                                        "alone.")] = 0,
    epochs: Annotated[int | None, typer.Option(min=1, help="Training epochs [default: the "
                                               "--fidelity's].")] = None,
    fidelity: Annotated[str | None, typer.Option(help="Take the epochs of this fidelity of "
                                                 "the study's space [default: the study's "
                                                 "own].")] = None,
    repeats: Annotated[int, typer.Option(min=1, max=20, help="Seeds per candidate.")] = 1,
    baseline: Annotated[list[str] | None, typer.Option(
        help="Also train this registered model (e.g. the papers' hps-06-0.5x) the same way, "
             "with the default recipe, for a like-with-like comparison (repeatable).")]
    = None,
    train_images: Annotated[int | None, typer.Option(
        min=100, help="Train on a balanced subset of N images (quick checks) [default: the "
                      "whole training set].")] = None,
    storage: Storage = None,
    device: Device = "auto",
    seed: Annotated[int, typer.Option(help="Seed of --sample's draw.")] = 0,
    artifacts: Annotated[Path, typer.Option(help="Where checkpoints go.")] = Path("studies"),
    data_dir: DataDir = None,
):
    """Retrain the study's best candidates on the whole training set and test them.

    Results are stored beside the trials they confirm and appear in `dse pareto`, `dse show`
    and the report. Running the command again continues an interrupted confirmation.
    """
    from dse.confirm import choose, confirm
    from dse.report.data import load_study_frame
    from dse.train.job import load_files

    frame = load_study_frame(study, storage)
    asked = None
    if trials:
        try:
            asked = [int(t) for t in trials.split(",")]
        except ValueError:
            raise ConfigError(f"--trials takes numbers like 3,7,9, not {trials[:40]!r}.") from None
    chosen = choose(frame, top, asked, sample, seed)
    if epochs is None:
        epochs = _fidelity_epochs(frame, fidelity)
    load_files(frame.attrs.get("dataset", "cifar10"), data_dir)  # missing data: fail first
    results = confirm(study, chosen, epochs, repeats, storage, device, data_dir, artifacts,
                      say=lambda m: console.print(m, markup=False), train_images=train_images,
                      baselines=baseline, progress=True)
    frame = load_study_frame(study, storage)
    from dse.report.build import _correlation

    table = Table(title=f"{study}: confirmed on the whole training set, tested on the test set")
    for col in ("trial", "model", "proxy accuracy (%)", "test accuracy (%)", "seeds", "epochs",
                "size (MB)"):
        table.add_column(col, justify="left" if col == "model" else "right")
    rows = {int(r["trial"]): r for _, r in frame.iterrows()}
    from dse.confirm import baselines as confirmed_baselines
    from dse.store import Store

    for b in confirmed_baselines(Store(storage), study):
        table.add_row("-", Text(f"{b['name']} (papers' model, default recipe)"), "-",
                      f"{b['test_accuracy'] * 100:.2f} ± {b['test_accuracy_std'] * 100:.2f}",
                      str(b["seeds"]), str(b["epochs"]), f"{b.get('size_mb', 0):.3f}")
    for res in results:
        if res["trial"] < 0:
            continue
        r = rows[res["trial"]]
        table.add_row(str(res["trial"]), Text(str(r["model"])),
                      f"{r['accuracy'] * 100:.2f}",
                      f"{res['test_accuracy'] * 100:.2f} ± {res['test_accuracy_std'] * 100:.2f}",
                      str(res["seeds"]), str(res["epochs"]), f"{r['size_mb']:.3f}")
    console.print(table)
    c = _correlation(frame)
    console.print("proxy vs confirmed: " + (
        f"Spearman {c['spearman']:.2f}, Kendall {c['kendall']:.2f} over {c['n']} trials"
        if c["n"] >= 3 else f"{c['n']} trial(s) confirmed, too few for a rank correlation"))


def _fidelity_epochs(frame, fidelity: str | None) -> int:
    """Epochs of a fidelity of the study's space (the study's own by default)."""
    from dse.search.space import load_space

    name = fidelity or frame.attrs.get("fidelity")
    try:
        space = load_space(frame.attrs.get("space") or "")
    except ConfigError:
        raise ConfigError(f"the study's space {frame.attrs.get('space')!r} is not at hand to "
                          f"read fidelity {name!r}; pass --epochs E.") from None
    if name not in space.fidelities:
        raise ConfigError(f"space {space.name!r} has no fidelity {str(name)[:40]!r}; it has "
                          f"{', '.join(space.fidelities)}.")
    return space.fidelities[name].epochs


@app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Option(help="File to write: NAME.onnx or NAME.pt2.")],
    study: Annotated[str | None, typer.Option(help="Study of the trial to export.")] = None,
    trial: Annotated[int | None, typer.Option(help="Trial number (see `dse pareto`) "
                                              "[default: the front's best on the study's "
                                              "first objective].")] = None,
    checkpoint: Annotated[Path | None, typer.Option(help="Or a checkpoint file.")] = None,
    model: Annotated[str | None, typer.Option(
        help="Model name for a bare state_dict checkpoint.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="onnx (onnxruntime) or pt2 "
                                                      "(torch.export, ExecuTorch).")] = "onnx",
    int8: Annotated[bool, typer.Option("--int8", help="Also write NAME.int8.onnx: static "
                                                      "int8 quantisation (QDQ).")] = False,
    calibration: Annotated[int, typer.Option(min=16, max=50_000, help="Training images used "
                                             "to calibrate int8 activations.")] = 512,
    verify_images: Annotated[int, typer.Option(min=1000, help="Test images the export is "
                                               "verified on against PyTorch.")] = 1000,
    threads: Annotated[int, typer.Option(min=1, help="Threads for the latency figures.")] = 1,
    confirmed: Annotated[bool, typer.Option(
        "--confirmed", help="Export the model `dse confirm` retrained (without --trial: the "
                            "best confirmed on the test set), not the study's proxy.")] = False,
    dataset: Dataset = "cifar10",
    storage: Storage = None,
    data_dir: DataDir = None,
):
    """Export a trained model, verify it on real test images, write a model card beside it."""
    from dse.deploy.export import export_model

    net, spec, facts, meas, ckpt = _model_from(study, trial, model, checkpoint, storage,
                                                dataset, confirmed)
    card = export_model(net, spec, facts.pop("dataset"), fmt, out, int8=int8,
                        data_dir=data_dir, verify_images=verify_images,
                        calibration=calibration, threads=threads,
                        provenance={**facts, "checkpoint": str(ckpt), "measurements": meas},
                        command="dse " + " ".join(sys.argv[1:]),
                        progress=lambda m: err.print(m))
    f32 = card["float32"]
    lines = [f"wrote {out} ({f32['file_mb']:.3f} MB) and its card {out}.card.json / .card.md"]
    if "test_accuracy" in f32:
        lines.append(f"float32: test accuracy {f32['test_accuracy']:.2%} on the whole "
                     f"{card['dataset']} test set; latency {f32['latency']['median_ms']:.3f} ms "
                     f"median (onnxruntime, {threads} thread(s), batch 1)")
    if "int8" in card:
        q = card["int8"]
        lines.append(f"int8:    test accuracy {q['test_accuracy']:.2%}; file {q['file_mb']:.3f} "
                     f"MB ({q['file_mb'] / f32['file_mb']:.2f}x); latency "
                     f"{q['latency']['median_ms']:.3f} ms median -> {out.with_name(q['file'])}")
    for line in lines:
        console.print(line)


@app.command("latency")
def latency_cmd(
    file: Annotated[Path | None, typer.Argument(help="An exported .onnx file.")] = None,
    model: Annotated[str | None, typer.Option(help="A registered model (random weights: "
                                              "latency does not depend on them).")] = None,
    study: Annotated[str | None, typer.Option(help="Study of the trial to time.")] = None,
    trial: Annotated[int | None, typer.Option(help="Trial number.")] = None,
    runtime: Annotated[str, typer.Option(help="torch or onnxruntime.")] = "torch",
    int8: Annotated[bool, typer.Option("--int8", help="onnxruntime int8 (calibrated on random "
                                                      "inputs: for timing only).")] = False,
    threads: Annotated[int, typer.Option(min=1, max=256)] = 1,
    batch: Annotated[int, typer.Option(min=1, max=4096)] = 1,
    min_runs: Annotated[int, typer.Option(min=1)] = 200,
    min_seconds: Annotated[float, typer.Option(min=0.0)] = 2.0,
    storage: Storage = None,
):
    """CPU latency: warm-up, then at least --min-runs queries and --min-seconds; median, p90."""
    from dse.deploy import latency as lat

    if runtime not in ("torch", "onnxruntime"):
        raise ConfigError(f"--runtime is torch or onnxruntime, not {runtime[:40]!r}.")
    if sum(x is not None for x in (file, model, study)) != 1:
        raise ConfigError("give one of FILE.onnx, --model NAME, or --study S --trial N.")
    if file is not None:
        if runtime != "onnxruntime" and file.suffix == ".onnx":
            runtime = "onnxruntime"
        result = lat.time_onnx(file, threads, batch, min_runs, min_seconds)
    else:
        if study is not None:
            if trial is None:
                raise ConfigError("--study needs --trial N.")
            from dse.train import load_model

            ckpt, facts, _ = _trial_checkpoint(study, trial, storage)
            net, _ = load_model(ckpt, None, facts["dataset"])
        else:
            from dse.models import create

            net = create(model)
        result = lat.time_model(net, runtime, int8, threads, batch, min_runs, min_seconds)
    console.print(result.line())


deploy_app = typer.Typer(help="Run an exported model like the embedded board does.",
                         no_args_is_help=True)
app.add_typer(deploy_app, name="deploy")


@deploy_app.command("run")
def deploy_run(
    model: Annotated[Path, typer.Option(help="An exported .onnx file (float32 or int8).")],
    source: Annotated[Path, typer.Option(help="A folder of PNG/JPEG images (sub-folder names "
                                              "that are class names give labels) or a CIFAR "
                                              "batch file.")],
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after N frames.")] = None,
    every: Annotated[int, typer.Option(min=1, help="Print every k-th prediction.")] = 1,
    threads: Annotated[int, typer.Option(min=1, max=256)] = 1,
):
    """Feed frames to the runtime classifier (birth / core / death) and report speed."""
    from dse.deploy.run import run_frames

    summary = run_frames(model, source, limit, every, threads, console.print,
                         lambda m: err.print("warning: " + m))
    console.print(summary)


def main() -> None:
    """Entry point: run the app, turning user errors into one paragraph and an exit code."""
    from dse.plugins import load_plugins

    def on_sigterm(signum, frame):
        raise Terminated("SIGTERM")

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        load_plugins()
        app()
    except Interrupted as exc:
        err.print(Text(str(exc), style="yellow"), soft_wrap=True)
        sys.exit(exc.exit_code)
    except DseError as exc:
        err.print(Text("error:", style="bold red"), str(exc), soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:  # outside a long command
        sys.exit(143 if isinstance(exc, Terminated) else 130)


if __name__ == "__main__":
    main()

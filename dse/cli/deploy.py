"""`dse export`, `dse latency`, `dse deploy run`: from a trial to a device."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from dse.cli.common import (
    DataDir,
    Dataset,
    Storage,
    _plain,
    app,
    console,
    err,
)
from dse.errors import ConfigError
from dse.records import Status


def _confirmed_checkpoint(study: str, trial: int | None, storage: str | None
                          ) -> tuple[Path, dict, dict]:
    """The checkpoint of a trial's headline confirmation (`dse.confirmed.headlines`: whole
    training set first, then the longest run; its lowest seed); without --trial, of the
    trial whose headline mean test accuracy is best."""
    from dse import confirmed
    from dse.report.data import load_study_frame
    from dse.store import Store

    store = Store(storage, create=False)
    heads = {t: h for t, h in confirmed.headlines(store, study).items()
             if trial is None or t == trial}
    if not heads:
        raise ConfigError(f"study {study!r} has no completed confirmation"
                          f"{'' if trial is None else f' of trial {trial}'}; run `dse confirm "
                          f"--study {study}` first.")
    if trial is None:
        trial = max(heads, key=lambda t: heads[t]["test_accuracy"])
        err.print(f"exporting trial {trial}, the best confirmed on the test set")
    h = heads[trial]
    runs = [r for r in confirmed.groups(store, study)[(trial, h["epochs"], h["train_images"])]
            if r.checkpoint]
    if not runs:
        raise ConfigError(f"the confirmation runs of trial {trial} record no checkpoint; run "
                          f"`dse confirm --study {study} --trials {trial}` again.")
    best = runs[0]
    checkpoint = store.require(best.checkpoint, f"the checkpoint of trial {trial}'s "
                               f"confirmation (seed {best.seed})", f"export where it ran, or "
                               f"run `dse confirm --study {study} --trials {trial}` again.")
    frame = load_study_frame(study, store=store)
    row = frame[frame["trial"] == trial].iloc[0]
    images = "the whole training set" if best.train_images == 0 else \
        f"{best.train_images:,} training images"
    facts = {"dataset": frame.attrs.get("dataset", "cifar10"), "study": study,
             "trial": int(trial), "confirmed_test_accuracy": best.test_accuracy,
             "training": f"{best.epochs} epochs on {images} (dse confirm, seed {best.seed}), "
                         f"test accuracy {best.test_accuracy:.2%} in PyTorch",
             "fidelity": frame.attrs.get("fidelity"),
             "study_accuracy": _plain(row.get("accuracy")), "epochs": _plain(row.get("epochs"))}
    return checkpoint, facts, dict(best.measurements or {})


def _trial_checkpoint(study: str, trial: int | None, storage: str | None
                      ) -> tuple[Path, dict, dict]:
    """(checkpoint, dataset-and-study facts, measurements) of a completed trial."""
    from dse.report.data import load_study_frame
    from dse.store import Store

    store = Store(storage, create=False)
    frame = load_study_frame(study, store=store)
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
    if row["status"] != Status.COMPLETE or not row["checkpoint"]:
        raise ConfigError(f"trial {trial} of {study!r} is {row['status']} and has no "
                          f"checkpoint; pick a completed trial (`dse pareto --study {study}`).")
    facts = {"study": study, "trial": int(trial), "fidelity": frame.attrs.get("fidelity"),
             "study_accuracy": _plain(row.get("accuracy")), "epochs": _plain(row.get("epochs"))}
    meas = {k: _plain(row.get(k)) for k in ("params", "macs", "size_mb")
            if row.get(k) is not None}
    checkpoint = store.locate(row["checkpoint"])  # moved? found again
    return checkpoint or Path(row["checkpoint"]), {
        "dataset": frame.attrs.get("dataset", "cifar10"), **facts}, meas


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
    from dse.deploy.card import portable
    from dse.deploy.export import export_model

    net, spec, facts, meas, ckpt = _model_from(study, trial, model, checkpoint, storage,
                                                dataset, confirmed)
    card = export_model(net, spec, facts.pop("dataset"), fmt, out, int8=int8,
                        data_dir=data_dir, verify_images=verify_images,
                        calibration=calibration, threads=threads,
                        provenance={**facts, "checkpoint": portable(ckpt), "measurements": meas},
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

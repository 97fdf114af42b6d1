"""`dse export`, `dse latency`, `dse deploy run`: from a trial to a device."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from dse.cli.common import (
    DataDir,
    Dataset,
    Device,
    Storage,
    app,
    console,
    err,
)

ExportOut = Annotated[Path, typer.Option(help="File to write: NAME.onnx or NAME.pt2.")]
ExportStudy = Annotated[str | None, typer.Option(help="Study of the trial to export.")]
ExportTrial = Annotated[int | None, typer.Option(
    help="Trial number (see `dse pareto`) [default: the front's best on the study's first "
         "objective].")]
Checkpoint = Annotated[Path | None, typer.Option(help="Or a checkpoint file.")]
BareModel = Annotated[str | None, typer.Option(help="Model name for a bare state_dict "
                                               "checkpoint.")]
Format = Annotated[str, typer.Option("--format", help="onnx (onnxruntime) or pt2 "
                                                      "(torch.export, ExecuTorch).")]
Int8 = Annotated[bool, typer.Option("--int8", help="Also write NAME.int8.onnx: static int8 "
                                                   "quantisation (QDQ).")]
Calibration = Annotated[int, typer.Option(min=16, max=50_000, help="Training images used to "
                                          "calibrate int8 activations.")]
VerifyImages = Annotated[int, typer.Option(min=1000, help="Test images the export is "
                                           "verified on against PyTorch.")]
Threads = Annotated[int, typer.Option(min=1, help="Threads for the latency figures.")]
Confirmed = Annotated[bool, typer.Option(
    "--confirmed", help="Export the model `dse confirm` retrained (without --trial: the best "
                        "confirmed on the test set), not the study's proxy.")]

Rebuild = Annotated[bool, typer.Option(
    "--rebuild", help="With --confirmed, where the run's checkpoints are all on another "
                      "machine: train its lowest seed again here, into ARTIFACTS/<study>/"
                      "confirm/ (the stored figures stay; the card says so).")]
Artifacts = Annotated[Path, typer.Option(help="Where --rebuild trains (a study's files).")]


@app.command("export")
def export_cmd(
    out: ExportOut, study: ExportStudy = None, trial: ExportTrial = None,
    checkpoint: Checkpoint = None, model: BareModel = None, fmt: Format = "onnx",
    int8: Int8 = False, calibration: Calibration = 512, verify_images: VerifyImages = 1000,
    threads: Threads = 1, confirmed: Confirmed = False, dataset: Dataset = "cifar10",
    storage: Storage = None, data_dir: DataDir = None, rebuild: Rebuild = False,
    artifacts: Artifacts = Path("studies"), device: Device = "auto",
):
    """Export a trained model, verify it on real test images, write a model card beside it."""
    from dse import api  # lazy: `dse --help` loads neither torch nor optuna

    card = api.export(out, study=study, trial=trial, checkpoint=checkpoint, model=model,
                      fmt=fmt, int8=int8, calibration=calibration,
                      verify_images=verify_images, threads=threads, confirmed=confirmed,
                      dataset=dataset, storage=storage, data_dir=data_dir,
                      rebuild=api.Rebuild(artifacts, device) if rebuild else None,
                      command="dse " + " ".join(sys.argv[1:]), say=lambda m: err.print(m))
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
    from dse import api  # lazy: `dse --help` loads neither torch nor optuna

    if file is not None and file.suffix == ".onnx":
        runtime = "onnxruntime"
    result = api.latency(file, model=model, study=study, trial=trial, runtime=runtime,
                         int8=int8, threads=threads, batch=batch, min_runs=min_runs,
                         min_seconds=min_seconds, storage=storage)
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
    # lazy: the runtime needs only numpy and onnxruntime; `dse --help` loads none of them
    from dse.deploy.run import run_frames

    summary = run_frames(model, source, limit, every, threads, console.print,
                         lambda m: err.print("warning: " + m))
    console.print(summary)

"""`dse run`: search a space with a multi-objective Optuna study."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from dse.cli.common import DataDir, Device, Download, Storage, app, console

Space = Annotated[str, typer.Option(help="Shipped space name (e.g. hps_cifar10) or YAML.")]
Study = Annotated[str | None, typer.Option(help="Study name [default: the space's].")]
Trials = Annotated[int | None, typer.Option(min=1, help="Trials to run now.")]
Timeout = Annotated[str | None, typer.Option(help="Stop starting trials after 90s, 30m, "
                                             "2h... (a supernet trained first counts).")]
Fidelity = Annotated[str | None, typer.Option(help="smoke, quick, proxy, full... [default: "
                                              "the space's].")]
Seed = Annotated[int, typer.Option(help="Seed of data split, training and sampler.")]
Constraint = Annotated[list[str] | None, typer.Option(
    help="Extra constraint, e.g. 'size_mb <= 1.0' (repeatable); size, params, MACs and "
         "latency are checked before training.")]
Artifacts = Annotated[Path, typer.Option(help="Where trial checkpoints go.")]
LogFormat = Annotated[str, typer.Option(
    help="auto (a live view on a terminal, plain lines otherwise), rich, or plain (one line "
         "per event, for logs).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="One line per trial, nothing else.")]
Workers = Annotated[str, typer.Option(
    help="Local worker processes on one store (--trials is split between them), or auto: "
         "one single-threaded worker per CPU core, but 1 when a timed metric (latency, epoch "
         "time) is an objective or constraint, or on a GPU.")]
Threads = Annotated[int | None, typer.Option(min=1, max=256, help="Threads per worker "
                                             "[default: the CPU cores / --workers].")]
Baselines = Annotated[bool, typer.Option(
    help="Train the papers' variants listed in the space (`baselines:`) as trials at this "
         "fidelity, for a like-with-like comparison.")]


@app.command("run")
def run_cmd(
    space: Space, study: Study = None, storage: Storage = None, trials: Trials = None,
    timeout: Timeout = None, fidelity: Fidelity = None, device: Device = "auto",
    seed: Seed = 0, constraint: Constraint = None, artifacts: Artifacts = Path("studies"),
    data_dir: DataDir = None, download: Download = False, log_format: LogFormat = "auto",
    quiet: Quiet = False, workers: Workers = "auto", threads: Threads = None,
    baselines: Baselines = True, data: Annotated[str | None, typer.Option(
        "--data", metavar="SPEC", help="The data set instead of the space's `data:` (a SPEC "
                                       "as for `dse train --data`).")] = None,
    supernet: Annotated[Path | None, typer.Option(
        metavar="PATH", help="A oneshot fidelity's trained supernet (`dse supernet train`) "
                             "[default: <artifacts>/<study>/supernets/, trained first when "
                             "missing].")] = None,
):
    """Run or continue a multi-objective study (running it again continues it)."""
    from dse import api  # lazy: `dse --help` loads neither torch nor optuna

    result, code = api.run(
        space, study=study, trials=trials, timeout=timeout, fidelity=fidelity,
        constraints=constraint, baselines=baselines, storage=storage, device=device,
        seed=seed, data=data, data_dir=data_dir, download=download, artifacts=artifacts,
        workers=workers, threads=threads, log_format=log_format, quiet=quiet,
        supernet=supernet, console=console,
        say=lambda m: console.print(m, markup=False, soft_wrap=True))
    finished = sum(t.state.is_finished() for t in result.trials)
    # lazy: optuna is loaded by now (the study ran); `dse --help` must not load it
    from optuna.trial import TrialState

    waiting = sum(t.state == TrialState.WAITING for t in result.trials)
    queued = f" ({waiting} waiting in its queue)" if waiting else ""
    console.print(f"study {result.study_name!r}: {finished} finished trials{queued} in the "
                  f"store; `dse pareto --study {result.study_name}` shows the front.",
                  soft_wrap=True)
    if code:
        sys.exit(code)

"""`dse run`: search a space with a multi-objective Optuna study."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from dse.cli.common import (
    DataDir,
    Device,
    Download,
    Storage,
    app,
    console,
)
from dse.errors import ConfigError


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
    workers: Annotated[str, typer.Option(
        help="Local worker processes on one store (--trials is split between them), or "
             "auto: one single-threaded worker per CPU core, but 1 when a timed metric "
             "(latency, epoch time) is an objective or constraint, or on a GPU.")] = "auto",
    threads: Annotated[int | None, typer.Option(min=1, max=256, help="Threads per worker "
                                                "[default: the CPU cores / --workers].")]
    = None,
    baselines: Annotated[bool, typer.Option(
        help="Train the papers' variants listed in the space (`baselines:`) as trials at "
             "this fidelity, for a like-with-like comparison.")] = True,
):
    """Run or continue a multi-objective study (running it again continues it)."""
    from dse.search.space import load_space
    from dse.search.study import parse_duration, run_study

    sp = load_space(space).with_constraints(constraint)
    if not baselines:
        sp = sp.model_copy(update={"baselines": []})
    if trials is None and timeout is None:
        raise ConfigError("give --trials N and/or --timeout DURATION, e.g. --trials 20.")
    if log_format not in ("auto", "rich", "plain"):
        raise ConfigError(f"--log-format is auto, rich or plain, not {log_format[:30]!r}.")
    from dse.search.workers import usable_cores

    cores = usable_cores()
    workers, why = _workers(workers, sp, device, cores, trials)
    threads = threads or max(1, cores // workers)
    if why and workers > 1 and not quiet:
        console.print(f"--workers auto: {workers} ({why}; --workers 1 for one process)",
                      markup=False, soft_wrap=True)
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
        base += [] if baselines else ["--no-baselines"]
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


def _workers(value: str, space, device: str, cores: int, trials: int | None
             ) -> tuple[int, str]:
    """--workers N or auto -> (workers, why auto chose them; '' when given)."""
    from dse.search.workers import auto_workers

    if value == "auto":
        names = [*space.objectives, *(c.metric for c in space.constraints)]
        return auto_workers(names, device if device != "auto" else _auto_device(), cores,
                            trials)
    if not value.isdigit() or not 1 <= int(value) <= 64:
        raise ConfigError(f"--workers is a number from 1 to 64 or auto, not {value[:30]!r}.")
    return int(value), ""


def _auto_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _study_line(study) -> str:
    """'study 'hps': 40 finished trials (10 queued) in the store; ...'."""
    finished = sum(t.state.is_finished() for t in study.trials)
    waiting = sum(t.state.name == "WAITING" for t in study.trials)
    queued = f" ({waiting} queued for the next run)" if waiting else ""
    return (f"study {study.study_name!r}: {finished} finished trials{queued} in the store; "
            f"`dse pareto --study {study.study_name}` shows the front.")

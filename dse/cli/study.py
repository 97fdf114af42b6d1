"""`dse space`, `dse run`, `dse studies`, `dse show`, `dse pareto`, `dse report`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from dse.cli.common import (
    DataDir,
    Device,
    Download,
    Storage,
    app,
    console,
    err,
)
from dse.errors import ConfigError, DseError
from dse.records import TRIAL_STATUSES, Status

space_app = typer.Typer(help="Inspect and validate search spaces.", no_args_is_help=True)
app.add_typer(space_app, name="space")


@space_app.command("validate")
def space_validate(file: Annotated[str, typer.Argument(help="YAML file or shipped name.")]):
    """Check a search space file; exit 2 with the key path and allowed values if invalid."""
    from dse.search.candidate import cardinality
    from dse.search.space import load_space

    space = load_space(file)
    console.print(Text("ok", style="green"), f": {file} defines space {space.name!r} "
                  f"(study {space.study!r}, {len(space.objectives)} objectives, "
                  f"{cardinality(space):g} candidates, fidelities "
                  f"{', '.join(space.fidelities)})", sep="")


def _with_constraints(space, constraint: list[str] | None):
    """The space with extra `--constraint` texts added (exit 2 naming a bad one)."""
    if not constraint:
        return space
    from dse.constraints import parse_all

    try:
        extra = parse_all(constraint)
    except ConfigError as exc:
        raise ConfigError(f"--constraint: {exc}") from None
    return space.model_copy(update={"constraints": [*space.constraints, *extra]})


@space_app.command("show")
def space_show(
    name: Annotated[str, typer.Argument(help="Shipped space name or YAML path.")],
    constraint: Annotated[list[str] | None, typer.Option(
        help="Count the architectures meeting it, e.g. 'size_mb <= 0.37' (repeatable; "
             "architecture metrics: size_mb, params, macs).")] = None,
    samples: Annotated[int, typer.Option(
        min=10, max=1_000_000, help="Combinations drawn to estimate the count when the "
                                    "space has more than 2,000 architectures.")] = 1000,
):
    """Print a space's dimensions, cardinality, fidelities and an example candidate; with
    --constraint, how many distinct architectures meet it (counted, or estimated by
    sampling: the method is printed)."""
    import optuna

    from dse.cli.common import progress_callback
    from dse.search.candidate import cardinality, describe, sample
    from dse.search.census import census
    from dse.search.space import load_space

    space = _with_constraints(load_space(name), constraint)
    timed = [str(c) for c in space.constraints if not c.arch]
    if timed:
        raise ConfigError(f"cannot count architectures under {', '.join(timed)}: only "
                          f"architecture metrics (size_mb, params, macs) are known before "
                          f"training; drop those constraints to count.")
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
    from dse.calibration import find_summary

    for fname, fid in space.fidelities.items():
        mark = " (default)" if fname == space.default_fidelity else ""
        console.print(f"fidelity {fname}{mark}: {fid.model_dump(exclude_none=True)}"
                      + (f", rungs at epochs {fid.rungs()}" if fid.rungs() else ""))
        cal = find_summary(space.study, fname)
        if cal:
            f = cal["fidelities"][fname]
            s = f["signals"][f["best_signal"]]
            ref = cal["reference"]
            console.print(f"  calibrated against {ref['epochs']} epochs on "
                          f"{ref['train_images'] or 'all'} training images, {ref['split']} "
                          f"set ({cal['references_done']} candidates): best "
                          f"signal {f['best_signal']}, Kendall {s['kendall']:.2f} "
                          f"[{s['kendall_ci'][0]:.2f}, {s['kendall_ci'][1]:.2f}], within size "
                          f"bins {s['kendall_within_bins']:.2f}; size only (params) Kendall "
                          f"{f['signals']['params']['kendall']:.2f}; "
                          f"{f['cost_vs_reference']:.1%} of the reference's compute",
                          soft_wrap=True)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trial = optuna.create_study(directions=space.directions).ask()
    console.print("example candidate:", sample(space, trial))
    if space.constraints:
        with progress_callback("measuring architectures") as tick:
            result = census(space, samples=samples, progress=tick)
        console.print(f"under {' and '.join(str(c) for c in space.constraints)}: "
                      f"{result.text()}")




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

    sp = _with_constraints(load_space(space), constraint)
    if not baselines:
        sp = sp.model_copy(update={"baselines": []})
    if trials is None and timeout is None:
        raise ConfigError("give --trials N and/or --timeout DURATION, e.g. --trials 20.")
    if log_format not in ("auto", "rich", "plain"):
        raise ConfigError(f"--log-format is auto, rich or plain, not {log_format[:30]!r}.")
    cores = os.cpu_count() or 1
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
    for col in ("study", "space", "fidelity", *TRIAL_STATUSES):
        table.add_column(col, justify="left" if col in ("study", "space", "fidelity") else
                         "right")
    for s in summaries:
        by = store.status_counts(s.study_name)
        table.add_row(s.study_name, str(s.user_attrs.get("space", "-")),
                      str(s.user_attrs.get("fidelity", "-")),
                      *[str(by.get(k, 0)) for k in TRIAL_STATUSES])
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
    done = frame[frame["status"] == Status.COMPLETE] if len(frame) else frame
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

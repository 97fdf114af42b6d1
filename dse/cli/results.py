"""`dse studies`, `dse show`, `dse pareto`, `dse report`: what a study found."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from dse import interrupts
from dse.cli.common import (
    Storage,
    app,
    console,
    err,
)
from dse.records import TRIAL_STATUSES


@app.command("studies")
def studies_cmd(storage: Storage = None):
    """List the studies in a store with trial counts by state."""
    from dse import api  # lazy: `dse --help` loads neither torch nor optuna

    url, rows = api.studies(storage)
    if not rows:
        console.print(f"no studies in {url}", markup=False)
        return
    table = Table(title=f"studies in {url}")
    for col in ("study", "space", "data", "fidelity", *TRIAL_STATUSES):
        table.add_column(col, justify="left" if col in ("study", "space", "data", "fidelity")
                         else "right")
    for r in rows:
        table.add_row(Text(r["study"]), Text(str(r["space"] or "-")),
                      Text(str(r["data"] or "-")), Text(str(r["fidelity"] or "-")),
                      *[str(r["statuses"].get(k, 0)) for k in TRIAL_STATUSES])
    console.print(table)


@app.command("show")
def show_cmd(study: Annotated[str, typer.Option(help="Study name.")],
             trial: Annotated[int | None, typer.Option(help="Trial number.")] = None,
             storage: Storage = None):
    """Print a trial's config, curve summary and measurements (or the study's trials)."""
    from dse import api  # lazy: `dse --help` loads neither torch nor optuna

    shown = api.show(study, trial, storage)
    if trial is None:
        console.print(shown.to_string(), markup=False)
        return
    console.print_json(json.dumps(shown, default=str))


Objectives = Annotated[str | None, typer.Option(
    help="Project onto two or three objectives, e.g. accuracy,latency_ms [default: the "
         "study's].")]
ReportOut = Annotated[Path | None, typer.Option(help="Report folder [default: reports/STUDY].")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the front as JSON.")]
AsCsv = Annotated[bool, typer.Option("--csv", help="Print the front as CSV.")]


@app.command("pareto")
def pareto_cmd(
    study: Annotated[str, typer.Option(help="Study name (see `dse studies`).")],
    storage: Storage = None, objectives: Objectives = None, out: ReportOut = None,
    as_json: AsJson = False, as_csv: AsCsv = False,
):
    """Print the non-dominated trials and write reports/STUDY/pareto.html (a projection
    with --objectives goes to its own pareto-A-B.html)."""
    from dse import api  # lazy: `dse --help` loads neither torch nor optuna

    f = api.pareto(study, objectives=objectives.split(",") if objectives else None,
                   storage=storage, out=out)
    if as_json or as_csv:
        data = f.front[f.columns]
        print(data.to_json(orient="records", indent=2) if as_json else data.to_csv(index=False))
        err.print(f"wrote {f.page}", markup=False)
        return
    table = Table(title=f"{study}: {len(f.front)} non-dominated of {f.completed} completed "
                        f"trials on {', '.join(f.objectives)}")
    shown = ["trial", "model", "recipe"] + [c for c in f.columns if c in f.objectives or (
        c.endswith("_std") and c.removesuffix("_std") in f.objectives)]
    shown += [c for c in ("test_accuracy", "test_accuracy_std", "size_mb", "latency_ms")
              if c in f.columns and c not in shown]
    for c in shown:
        table.add_column(_header(c), justify="left" if c in ("model", "recipe") else "right")
    for _, r in f.front.iterrows():
        table.add_row(*[_cell(c, r[c]) for c in shown])
    console.print(table)
    console.print(f"wrote {f.page}", markup=False)


def _cell(column: str, value) -> Text:
    """A table cell as plain text (never rich markup): metrics in their format."""
    # lazy: pandas and the metric registry (torch), only when a table is printed
    from dse.report.data import format_value, metric_of

    m = metric_of(column)
    return Text(m.format(value) if m is not None else format_value(column, value))


def _header(column: str) -> str:
    # lazy: as above
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
    from dse import api  # lazy: `dse --help` loads neither torch nor optuna

    while True:
        interrupts.check()  # a Ctrl-C or SIGTERM whose exception was dropped mid-build
        index = api.report(study, storage=storage, out=out, refresh=interval if watch else None)
        console.print(f"wrote {index}" + (f" (next in {interval}s; Ctrl-C stops)" if watch
                                          else ""))
        if not watch:
            return
        time.sleep(interval)

"""`dse confirm`: retrain a study's best candidates and test them."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from dse.cli.common import (
    Compile,
    DataDir,
    Device,
    Storage,
    app,
    console,
    parse_ints,
    parse_seeds,
)

Top = Annotated[int | None, typer.Option(
    min=0, help="Only the K best of the front (by the study's first objective); 0: only the "
                "--baseline models.")]
Trials = Annotated[str | None, typer.Option(help="Confirm these trials instead of the front, "
                                            "e.g. 3,7,9.")]
Sample = Annotated[int, typer.Option(min=0, help="Also confirm N random non-front trials, so "
                                     "the proxy check is not made on the front alone.")]
Epochs = Annotated[int | None, typer.Option(min=1, help="Training epochs [default: the "
                                            "--fidelity's].")]
Fidelity = Annotated[str | None, typer.Option(help="Take the epochs of this fidelity of the "
                                              "study's space [default: the study's own].")]
Repeats = Annotated[int, typer.Option(min=1, max=20, help="Seeds per candidate: seeds 0 to "
                                      "N-1.")]
Seeds = Annotated[str | None, typer.Option(
    help="Run exactly these seeds instead, e.g. 2 or 0,2: so that another process can train "
         "a candidate's other seeds at the same time.")]
Baseline = Annotated[list[str] | None, typer.Option(
    help="Also train this registered model (e.g. the papers' hps-06-0.5x) the same way, with "
         "the default recipe, for a like-with-like comparison (repeatable).")]
TrainImages = Annotated[int | None, typer.Option(
    min=100, help="Train on a balanced subset of N images (quick checks) [default: the whole "
                  "training set].")]
TtaFlip = Annotated[bool, typer.Option(
    help="Also measure test accuracy averaged with the mirrored image (stored as an extra; "
         "the confirmed figure stays single-view).")]
Summary = Annotated[bool, typer.Option(
    help="End with the table of the study's confirmations (--no-summary: only the runs' "
         "own lines, as `dse auto` runs its final confirmations).")]
Reuse = Annotated[bool, typer.Option(
    help="Copy a run another study of the store completed (the same candidate, epochs, seed "
         "and images, on the same built-in data set) instead of training it again; the copy "
         "names that study.")]
DrawSeed = Annotated[int, typer.Option(help="Seed of --sample's draw.")]
Artifacts = Annotated[Path, typer.Option(help="Where checkpoints go.")]


@app.command("confirm")
def confirm_cmd(
    study: Annotated[str, typer.Option(help="Study whose candidates to confirm.")],
    top: Top = None, trials: Trials = None, sample: Sample = 0, epochs: Epochs = None,
    fidelity: Fidelity = None, repeats: Repeats = 1, seeds: Seeds = None,
    baseline: Baseline = None, train_images: TrainImages = None, tta_flip: TtaFlip = False,
    compile: Compile = "auto", reuse: Reuse = True, storage: Storage = None,
    device: Device = "auto", seed: DrawSeed = 0, artifacts: Artifacts = Path("studies"),
    data_dir: DataDir = None, summary: Summary = True,
):
    """Retrain the study's best candidates on the whole training set and test them.

    Results are stored beside the trials they confirm and appear in `dse pareto`, `dse show`
    and the report. Running the command again continues an interrupted confirmation.
    """
    from dse import api  # lazy: `dse --help` loads neither torch nor optuna

    result = api.confirm(study, top=top, trials=parse_ints(trials, "--trials"),
                         sample=sample, epochs=epochs, fidelity=fidelity,
                         seeds=parse_seeds(seeds, repeats), baselines=baseline,
                         train_images=train_images, tta_flip=tta_flip, compile=compile,
                         storage=storage, device=device, seed=seed, artifacts=artifacts,
                         data_dir=data_dir, say=lambda m: console.print(m, markup=False),
                         progress=True, reuse=reuse)
    if summary:
        print_confirmed(result)


def _count(value) -> str:
    """A count as a whole number (pandas hands them back as floats)."""
    return str(int(value)) if isinstance(value, int | float) and value == value else str(value)


def _header(metric, col: str) -> str:
    """A metric column's short header with its unit ('size_mb (MB)')."""
    return metric.header if metric is not None else col


_ACC = "test accuracy (%, mean ± sample sd)"


def print_confirmed(c) -> None:
    """The confirmed trials beside their proxy figures, the baselines, the correlation."""
    from dse.report.data import format_value, metric_of  # lazy: pandas, as above

    table = Table(title=f"{c.study}: confirmed on the whole training set, tested on the "
                        f"test set")
    again = [f"confirmed_{k}" for k in c.objectives  # trained objectives, measured again
             if any(r.get(f"confirmed_{k}") is not None for r in c.trials)]
    cols = ["trial", "model", *c.objectives, *again, _ACC, "seeds", "epochs"]
    for col in cols:  # metrics by their short header: at the search's fidelity, or again
        label = col if col in ("trial", "model", "seeds", "epochs", _ACC) else \
            f"{_header(metric_of(col), col)}, " + ("confirmed" if col in again else "search")
        table.add_column(label, justify="left" if col == "model" else "right")
    for b in c.baselines:
        table.add_row("-", Text(f"{b['name']} (papers' model, default recipe)"),
                      *[Text(format_value(k, b.get(k))) for k in [*c.objectives, *again]],
                      f"{b['test_accuracy'] * 100:.2f} ± {b['test_accuracy_std'] * 100:.2f}",
                      _count(b["seeds"]), _count(b["epochs"]))
    for r in c.trials:
        table.add_row(str(r["trial"]), Text(r["model"]),
                      *[Text(format_value(k, r.get(k))) for k in [*c.objectives, *again]],
                      f"{r['test_accuracy'] * 100:.2f} ± {(r['test_accuracy_std'] or 0) * 100:.2f}",
                      _count(r["seeds"]), _count(r["epochs"]))
    console.print(table)
    k = c.correlation
    console.print("search vs confirmed: " + (
        f"Spearman {k['spearman']:.2f}, Kendall {k['kendall']:.2f} over {k['n']} trials"
        if k["n"] >= 3 else f"{k['n']} trial(s) confirmed, too few for a rank correlation"))


Studies = Annotated[list[str] | None, typer.Option(help="Study whose confirmations to list "
                                                   "(repeatable).")]
Runs = Annotated[list[Path] | None, typer.Option(
    help="Also list a finished `dse train` run tested on the test set (--val-size 0): its "
         "output folder (repeatable).")]
FrontierOut = Annotated[Path | None, typer.Option(help="Write the Markdown here [default: "
                                                  "print it].")]
Storages = Annotated[list[str] | None, typer.Option(
    help="SQLAlchemy URL of the store: one for every --study, or one per --study in the same "
         "order [default: $DSE_STORAGE, else sqlite:///studies/dse.db].")]


@app.command("frontier")
def frontier_cmd(study: Studies = None, run: Runs = None, out: FrontierOut = None,
                 storage: Storages = None):
    """Every confirmed model beside the baselines dse trained and the papers' published
    figures, as a Markdown table (results/frontier.md)."""
    from dse import api  # lazy: `dse --help` loads neither torch nor optuna
    from dse.store.url import redact  # lazy: as above

    command = "dse " + shlex.join(redact(a) for a in sys.argv[1:])
    text = api.frontier(list(study or []), storages=storage, runs=run, out=out,
                        command=command)
    if out is None:
        console.print(text, markup=False, highlight=False, soft_wrap=True)
    else:
        console.print(f"wrote {out}", markup=False)

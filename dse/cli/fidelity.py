"""`dse fidelity check`: how well a space's short fidelities rank candidates."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from dse.cli.common import DataDir, Device, app, console, err
from dse.errors import ConfigError

fidelity_app = typer.Typer(help="Calibrate fidelities against a long training.",
                           no_args_is_help=True)
app.add_typer(fidelity_app, name="fidelity")


FidelityOpt = Annotated[list[str], typer.Option(
    help="A fidelity of the space to calibrate (repeatable).")]
RefEpochs = Annotated[int, typer.Option(
    min=1, max=10_000, help="Epochs of the reference training (all training images, test "
                            "set).")]
RefImages = Annotated[int | None, typer.Option(
    min=10, help="Training images of the reference [default: all].")]
Sample = Annotated[int, typer.Option(min=3, max=10_000, help="Candidates drawn.")]
Seed = Annotated[int, typer.Option(help="Seed of the draw and of every training.")]
Constraint = Annotated[list[str] | None, typer.Option(
    help="Architecture constraint the candidates meet, e.g. 'size_mb <= 0.37'.")]
Out = Annotated[Path | None, typer.Option(
    help="Calibration folder [default: calibrations/<the space's study name>]; run the same "
         "command again to continue it.")]
Shard = Annotated[str, typer.Option(
    help="I/N: train only every N-th candidate starting at the I-th, so N processes (one per "
         "core) share one calibration folder.")]
Reuse = Annotated[Path | None, typer.Option(
    metavar="FOLDER", help="Another calibration folder: its finished references of candidates "
                           "this space can draw (same data, reference, seed and recipe; meeting "
                           "the constraints) become this calibration's first candidates.")]
AnalyseOnly = Annotated[bool, typer.Option(
    "--analyse-only", help="Train nothing; summarise the runs done so far.")]


@fidelity_app.command("check")
def check_cmd(
    space: Annotated[str, typer.Option(help="Shipped space name or YAML.")],
    fidelity: FidelityOpt, reference_epochs: RefEpochs = 15, reference_images: RefImages = None,
    sample: Sample = 20, seed: Seed = 0, constraint: Constraint = None, out: Out = None,
    shard: Shard = "1/1", analyse_only: AnalyseOnly = False, device: Device = "auto",
    data_dir: DataDir = None, reuse: Reuse = None,
):
    """Train a random sample of feasible candidates at the given fidelities and at a long
    reference; report Kendall/Spearman (bootstrap 95 % intervals, overall and within size
    bins) of each ranking signal against the reference, with each fidelity's cost. Writes
    OUT/summary.{json,md}; resumable (every run keeps a resume checkpoint)."""
    from dse import api  # lazy: `dse --help` loads neither torch nor optuna
    from dse.report.calibration import markdown  # lazy: as above

    summary, folder, trained = api.fidelity_check(
        space, fidelity, reference_epochs=reference_epochs, reference_images=reference_images,
        sample=sample, seed=seed, constraints=constraint, out=out, shard=_shard(shard),
        analyse_only=analyse_only, device=device, data_dir=data_dir, reuse=reuse,
        command="dse " + " ".join(sys.argv[1:]),
        say=lambda m: console.print(m, soft_wrap=True, markup=False))
    if not analyse_only:
        err.print(f"{trained} runs trained now")
    console.print(markdown(summary), soft_wrap=True, markup=False)
    console.print(f"wrote {folder / 'summary.md'}", markup=False)


def _shard(text: str) -> tuple[int, int]:
    """'I/N' as (I, N) with 1 <= I <= N."""
    i, _, n = text.partition("/")
    if not (i.isdigit() and n.isdigit() and 1 <= int(i) <= int(n) <= 64):
        raise ConfigError(f"--shard {text[:20]!r} is not I/N with 1 <= I <= N <= 64, "
                          f"e.g. --shard 1/2 and --shard 2/2 in two processes.")
    return int(i), int(n)

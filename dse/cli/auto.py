"""`dse auto`: search, pick by a fixed rule, confirm, compare and export within a budget."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dse.cli.common import DataDir, Device, Storage, app, console

Int = int | None
SearchTrials = Annotated[Int, typer.Option(min=1, help=(
    "The search also ends after this many trials [500 at a oneshot fidelity, else none]; "
    "the time it leaves goes to the ladder."))]
PerBin = Annotated[Int, typer.Option(min=1, help=(
    "Ladder picks per size bin [sized from the space's calibration of the search fidelity, "
    "else 8]."))]
LadderImages = Annotated[Int, typer.Option(
    min=10, help="Training images of a ladder run [all of the training split less the "
                 "search fidelity's held-out validation images: 45,000 of CIFAR's].")]
FinalImages = Annotated[Int, typer.Option(
    min=10, help="Training images of a final run [the whole training split: 50,000 of "
                 "CIFAR's].")]
Artifacts = Annotated[Path, typer.Option(help="Where studies keep their files.")]
ProfileLatency = Annotated[bool, typer.Option(
    "--profile-latency", help="First fit a latency profile on this machine (60 networks timed "
    "on one core, about 11 minutes on a 2-core Xeon, within the search's time) and predict "
    "latency with it.")]
DryRun = Annotated[bool, typer.Option(
    "--dry-run", help="Print the plan and exit; nothing is trained or written.")]
Status = Annotated[bool, typer.Option(
    "--status", help="Say where this run stands (its stored plan, each stage's time used "
    "and trials, the final runs stored, the verdict) and exit; nothing is trained or "
    "written. Safe beside the running command.")]


def _seconds(budget: str) -> float:
    # lazy: `dse --help` loads neither torch nor optuna
    from dse.errors import ConfigError
    from dse.search.study import parse_duration

    try:
        return parse_duration(budget)
    except ConfigError as exc:
        raise ConfigError(str(exc).replace("--timeout", "--budget")) from None


def _say(line: str) -> None:
    console.print(line, markup=False, soft_wrap=True)


@app.command("auto")
def auto_cmd(
    space: Annotated[str, typer.Option(help="Shipped space name or YAML.")],
    budget: Annotated[str, typer.Option(help="Wall time for everything: 90m, 6h, 1h30m...")],
    study: Annotated[str | None, typer.Option(help="Study name [default: the space's].")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Local worker processes.")] = 1,
    fidelity: Annotated[str | None, typer.Option(
        help="The search's fidelity [default: the space's].")] = None,
    baseline: Annotated[str | None, typer.Option(
        help="The model to beat [default: the space's first baseline].")] = None,
    search_trials: SearchTrials = None, per_bin: PerBin = None,
    ladder_epochs: Annotated[Int, typer.Option(min=1, help="Ladder epochs [10].")] = None,
    ladder_images: LadderImages = None,
    finalists: Annotated[Int, typer.Option(min=1, help="Trials confirmed [2].")] = None,
    final_epochs: Annotated[Int, typer.Option(min=1, help="Final epochs [30].")] = None,
    final_images: FinalImages = None,
    seeds: Annotated[Int, typer.Option(min=2, max=20, help="Final seeds [3].")] = None,
    storage: Storage = None, artifacts: Artifacts = Path("studies"),
    device: Device = "auto", data_dir: DataDir = None,
    profile_latency: ProfileLatency = False, dry_run: DryRun = False, status: Status = False,
):
    """Search a space, train the rule's picks longer on a validation split, confirm the
    best with seeds beside the baseline on the test set, compare (Welch, Holm) and export
    the rule's pick, all within --budget. The plan is printed first and stored with the
    study; the same command continues it after a stop, and with --status says where it
    stands."""
    # lazy: `dse --help` loads neither torch nor optuna
    from dse import api

    if status:
        for line in api.auto_status(space, study, storage, artifacts):
            _say(line)
        return
    api.auto(space, _seconds(budget), workers=workers, study=study, fidelity=fidelity,
             baseline=baseline, storage=storage, artifacts=artifacts, device=device,
             data_dir=data_dir, search_trials=search_trials, per_bin=per_bin,
             ladder_epochs=ladder_epochs, ladder_images=ladder_images, finalists=finalists,
             final_epochs=final_epochs, final_images=final_images, seeds=seeds,
             profile_latency=60 if profile_latency else None, dry_run=dry_run,
             say=_say)

"""`dse supernet train|show`: a oneshot fidelity's weight-sharing supernets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from dse.cli.common import DataDir, Device, Download, app, console

supernet_app = typer.Typer(help="Weight-sharing supernets for a space's oneshot fidelity.",
                           no_args_is_help=True)
app.add_typer(supernet_app, name="supernet")


@supernet_app.command("train")
def train_cmd(
    space: Annotated[str, typer.Option(help="Shipped space name or YAML.")],
    fidelity: Annotated[str | None, typer.Option(
        help="The space's oneshot fidelity [default: the space's default].")] = None,
    study: Annotated[str | None, typer.Option(
        help="The study that will use them [default: the space's].")] = None,
    artifacts: Annotated[Path, typer.Option(help="The studies folder `dse run` uses.")] = Path(
        "studies"),
    seed: Annotated[int, typer.Option(help="Seed of the data split.")] = 0,
    threads: Annotated[int | None, typer.Option(min=1, max=256, help="Torch threads.")] = None,
    device: Device = "auto", data_dir: DataDir = None, download: Download = False,
):
    """Train every supernet the space's oneshot fidelity needs (one per value of the
    dimensions that cannot share weights), into <artifacts>/<study>/supernets/, where `dse
    run` finds them. Resumable: run it again after a stop to continue from the last epoch."""
    from dse import api  # lazy: `dse --help` loads neither torch nor optuna

    paths = api.supernet_train(space, fidelity=fidelity, study=study, artifacts=artifacts,
                               seed=seed, data_dir=data_dir, download=download, device=device,
                               threads=threads,
                               say=lambda m: console.print(m, markup=False, soft_wrap=True))
    for group, path in paths.items():
        console.print(f"supernet {group}: {path}", markup=False, soft_wrap=True)


def _hours(info: dict) -> str:
    wall = f"{info['wall_hours']:.2f} h of wall time"
    return wall if info["cpu_hours"] is None else f"{wall}, {info['cpu_hours']:.2f} CPU-hours"


@supernet_app.command("show")
def show_cmd(path: Annotated[Path, typer.Argument(help="A supernet file.")],
             as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False):
    """What a supernet file holds: its largest network, recipe, data set, epochs, cost and
    its last epoch's recalibrated validation accuracies (largest, smallest)."""
    from dse import api  # lazy: as above

    info = api.supernet_show(path)
    if as_json:
        console.print_json(json.dumps(info, default=str))
        return
    last = info["last"] or {}
    accs = ", ".join(f"{k.removeprefix('val_acc_')} {v:.1%}" for k, v in last.items()
                     if k.startswith("val_acc_"))
    console.print(f"{info['path']}: largest {info['largest']}; {info['epochs']} epochs on "
                  f"{info['dataset']} ({info['train_images']:,} training images, "
                  f"{info['network_images']:,} network-images, {_hours(info)}); "
                  f"last epoch's validation accuracy (BatchNorm recalibrated): "
                  f"{accs or 'not measured'}; recipe {info['recipe']}",
                  markup=False, soft_wrap=True)

"""`dse data check`."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from dse.cli.common import DataDir, app, console

data_app = typer.Typer(help="Inspect the data sets dse reads.", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("check")
def data_check_cmd(
    spec: Annotated[str, typer.Argument(
        metavar="SPEC", help="cifar10, cifar100, a .npz file, or a folder of class folders "
                             "(options after '?': size, test_fraction, seed, cache).")],
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
):
    """Read and validate a data set: images per class and split, size and channels, how the
    test split was made, files skipped, train/test duplicates, statistics. Writes nothing
    into the data folder (decoded images are cached under $DSE_CACHE_DIR)."""
    from dse import api  # lazy: `dse --help` loads neither torch nor optuna

    r = api.data_check(spec, data_dir)
    if as_json:
        console.print_json(json.dumps(r))
        return
    console.print(Text("ok", style="green"), f": {r['summary']}", sep="", markup=False)
    table = Table(title="images per class")
    for col in ("class", "train", "test"):
        table.add_column(col, justify="left" if col == "class" else "right")
    for name, n in r["classes"].items():
        table.add_row(Text(name), f"{n['train']:,}", f"{n['test']:,}")
    console.print(table)
    console.print(f"mean {r['mean']}, std {r['std']} (training images, [0, 1] units); "
                  f"{r['duplicates_train_test']:,} training image(s) also in the test split",
                  markup=False)

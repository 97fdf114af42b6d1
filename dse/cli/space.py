"""`dse space validate` and `dse space show`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from dse.cli.common import app, console, progress_callback

space_app = typer.Typer(help="Inspect and validate search spaces.", no_args_is_help=True)
app.add_typer(space_app, name="space")


@space_app.command("validate")
def space_validate(file: Annotated[str, typer.Argument(help="YAML file or shipped name.")]):
    """Check a search space file; exit 2 with the key path and allowed values if invalid."""
    # lazy: `dse --help` loads neither torch nor optuna
    from dse.search.params import cardinality
    from dse.search.space import load_space

    space = load_space(file)
    console.print(Text("ok", style="green"), f": {file} defines space {space.name!r} "
                  f"(study {space.study!r}, {len(space.objectives)} objectives, "
                  f"{cardinality(space):g} candidates, fidelities "
                  f"{', '.join(space.fidelities)})", sep="")


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
    from dse import api  # lazy: `dse --help` loads neither torch nor optuna
    from dse.search.params import cardinality, describe  # lazy: as above

    space = api.load_space(name).with_constraints(constraint)
    if any(not c.arch for c in space.constraints):
        api.count_architectures(space)  # refuses timed constraints before printing anything
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
    _print_fidelities(space)
    for line in api.supernets(space):
        console.print(line, markup=False, soft_wrap=True)
    console.print("example candidate:", api.example_candidate(space).to_dict())
    if space.constraints:
        with progress_callback("measuring architectures") as tick:
            result = api.count_architectures(space, samples, tick)
        console.print(f"under {' and '.join(str(c) for c in space.constraints)}: "
                      f"{result.text()}")


def _print_fidelities(space) -> None:
    """Each fidelity, its halving rungs, and its calibration where one is stored."""
    # lazy: `dse --help` loads neither torch nor optuna
    from dse.report.calibration import find_summary

    for fname, fid in space.fidelities.items():
        mark = " (default)" if fname == space.default_fidelity else ""
        console.print(f"fidelity {fname}{mark}: {fid.model_dump(exclude_none=True)}"
                      + (f", rungs at epochs {fid.rungs()}" if fid.rungs() else ""))
        cal = find_summary(space.calibrations(), fname)
        if cal:
            _print_calibration(cal, fname)


def _better_half(signal: dict) -> str:
    """', within the better half 0.08 (n=16)' where the summary has it."""
    half = signal.get("better_half") or {}
    k = half.get("kendall")
    return "" if k is None or k != k else f", within the better half {k:.2f} (n={half['n']})"


def _print_calibration(cal: dict, fname: str) -> None:
    f = cal["fidelities"][fname]
    s = f["signals"][f["best_signal"]]
    ref = cal["reference"]
    under = " and ".join(cal.get("constraints", []))
    console.print(f"  calibrated ({cal['folder']}{', under ' + under if under else ''})"
                  f" against {ref['epochs']} epochs on "
                  f"{ref['train_images'] or 'all'} training images, {ref['split']} "
                  f"set ({cal['references_done']} candidates): best "
                  f"signal {f['best_signal']}, Kendall {s['kendall']:.2f} "
                  f"[{s['kendall_ci'][0]:.2f}, {s['kendall_ci'][1]:.2f}], within size "
                  f"bins {s['kendall_within_bins']:.2f}{_better_half(s)}; size only "
                  f"(params) Kendall {f['signals']['params']['kendall']:.2f}; "
                  f"{f['cost_vs_reference']:.1%} of the reference's compute",
                  soft_wrap=True)
    rec = cal.get("recommended")
    if rec and rec["setting"].split("@")[0] == fname:
        console.print(f"  recommended: {rec['setting']} ranked by {rec['signal']} "
                      f"(Kendall {rec['kendall']:.2f}, {rec['cost_vs_reference']:.1%} "
                      f"of the reference's compute; {rec['rule']})", soft_wrap=True)

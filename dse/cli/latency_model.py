"""`dse latency-model profile` and `dse latency-model validate`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from dse.cli.common import app, console, err, progress_callback

lm_app = typer.Typer(help="Predicted latency: profile a machine, validate the predictions.",
                     no_args_is_help=True)
app.add_typer(lm_app, name="latency-model")

Space = Annotated[str, typer.Option(help="Space whose networks are drawn.")]
Rounds = Annotated[int, typer.Option(min=1, max=50)]
Work = Annotated[Path | None, typer.Option(
    help="Folder for the exported networks [default: a temporary one]; copy it to a board "
         "and time it there with `python -m dse.deploy.timing`.")]
ExportOnly = Annotated[bool, typer.Option(
    "--export-only", help="Only export into --work (to time on a board).")]
Timings = Annotated[Path | None, typer.Option(
    help="Timings a board wrote for --work's networks: fit from them, time nothing.")]


@lm_app.command("profile")
def latency_profile_cmd(
    out: Annotated[Path, typer.Option(help="Profile file to write (JSON).")],
    space: Space = "hps_arch_cifar10",
    count: Annotated[int, typer.Option(min=5, max=2000, help="Profiling networks.")] = 60,
    seed: Annotated[int, typer.Option(help="Seed of the draw.")] = 0,
    work: Work = None, export_only: ExportOnly = False, timings: Timings = None,
    rounds: Rounds = 3,
):
    """Fit a latency profile: onnxruntime, 1 thread, batch 1, on a quiet machine or board."""
    from dse import api  # lazy: `dse --help` loads neither torch nor optuna

    p = api.latency_profile(out, space=space, count=count, seed=seed, work=work,
                            export_only=export_only, timings=timings, rounds=rounds,
                            bar=progress_callback, say=lambda m: err.print(m, markup=False))
    if p is None:
        console.print(f"exported {count} networks to {work}; time them with "
                      f"`python -m dse.deploy.timing {work} --out timings.json`", markup=False)
        return
    console.print(f"wrote {out}: {p['networks']} networks, fit median |error| "
                  f"{p['fit']['median_abs_rel_error']:.1%} ({p['runtime']}, 1 thread, batch "
                  f"1, {p['cpu']})", markup=False)


@lm_app.command("validate")
def latency_validate_cmd(
    out: Annotated[Path, typer.Option(help="Report to write (.md; the .json beside it).")],
    profile: Annotated[Path | None, typer.Option(
        help="Profile [default: $DSE_LATENCY_PROFILE, else dse's own].")] = None,
    space: Space = "hps_arch_cifar10",
    count: Annotated[int, typer.Option(min=5, max=2000, help="Held-out networks.")] = 30,
    seed: Annotated[int, typer.Option(help="Seed of the draw (not the profile's).")] = 1,
    rounds: Rounds = 3,
):
    """Predicted vs measured latency on held-out networks (quiet machine): error, Kendall."""
    from dse import api  # lazy: `dse --help` loads neither torch nor optuna

    r = api.latency_validate(out, profile=profile, space=space, count=count, seed=seed,
                             rounds=rounds, command="dse " + " ".join(sys.argv[1:]),
                             bar=progress_callback)
    console.print(f"{r['networks']} held-out networks: median |error| "
                  f"{r['median_abs_rel_error']:.1%}, Kendall {r['kendall']:.3f} -> {out}",
                  markup=False)

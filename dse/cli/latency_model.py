"""`dse latency-model profile` and `dse latency-model validate`."""


from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from dse.cli.common import (
    app,
    console,
    err,
)
from dse.errors import ConfigError

lm_app = typer.Typer(help="Predicted latency: profile a machine, validate the predictions.",
                     no_args_is_help=True)
app.add_typer(lm_app, name="latency-model")


@lm_app.command("profile")
def latency_profile_cmd(
    out: Annotated[Path, typer.Option(help="Profile file to write (JSON).")],
    space: Annotated[str, typer.Option(help="Space whose networks are drawn.")] =
        "hps_arch_cifar10",
    count: Annotated[int, typer.Option(min=5, max=2000, help="Profiling networks.")] = 60,
    seed: Annotated[int, typer.Option(help="Seed of the draw.")] = 0,
    work: Annotated[Path | None, typer.Option(
        help="Folder for the exported networks [default: a temporary one]; copy it to a "
             "board and time it there with `python -m dse.deploy.timing`.")] = None,
    export_only: Annotated[bool, typer.Option(
        "--export-only", help="Only export into --work (to time on a board).")] = False,
    timings: Annotated[Path | None, typer.Option(
        help="Timings a board wrote for --work's networks: fit from them, time nothing.")] = None,
    rounds: Annotated[int, typer.Option(min=1, max=50)] = 3,
):
    """Fit a latency profile: onnxruntime, 1 thread, batch 1, on a quiet machine or board."""
    import tempfile

    from dse.cli.common import progress_callback
    from dse.deploy import latency_profile as lp
    from dse.deploy.timing import time_folder
    from dse.fileio import atomic_write_text
    from dse.search.census import draw_architectures
    from dse.search.space import load_space

    if (export_only or timings) and work is None:
        raise ConfigError("--export-only and --timings need --work FOLDER (the networks).")
    with tempfile.TemporaryDirectory() as tmp:
        folder = work or Path(tmp)
        if timings is None:
            specs = draw_architectures(load_space(space), count, seed)
            with progress_callback("exporting") as tick:
                rows = lp.export_all(specs, folder, tick)
            atomic_write_text(json.dumps(rows), folder / "rows.json")
            if export_only:
                console.print(f"exported {len(rows)} networks to {folder}; time them with "
                              f"`python -m dse.deploy.timing {folder} --out timings.json`")
                return
            err.print(f"timing {len(rows)} networks, {rounds} rounds (keep the machine quiet)")
            with progress_callback("timing") as tick:
                measured = time_folder(folder, 1, rounds, progress=tick)
            atomic_write_text(json.dumps(measured, indent=1), folder / "timings.json")
        else:
            rows = _read_json(folder / "rows.json", "the exported networks' list")
            measured = _read_json(timings, "the timings file")
            missing = [r["file"] for r in rows if r["file"] not in measured.get("files", {})]
            if missing:
                raise ConfigError(f"{timings} has no timing for {missing[:3]}; time the whole "
                                  f"folder {folder}.")
        profile = lp.make_profile(rows, measured)
        atomic_write_text(json.dumps(profile, indent=1), out)
    console.print(f"wrote {out}: {len(rows)} networks, fit median |error| "
                  f"{profile['fit']['median_abs_rel_error']:.1%} ({profile['runtime']}, 1 "
                  f"thread, batch 1, {profile['cpu']})")


@lm_app.command("validate")
def latency_validate_cmd(
    out: Annotated[Path, typer.Option(help="Report to write (.md; the .json beside it).")],
    profile: Annotated[Path | None, typer.Option(
        help="Profile [default: $DSE_LATENCY_PROFILE, else dse's own].")] = None,
    space: Annotated[str, typer.Option(help="Space whose networks are drawn.")] =
        "hps_arch_cifar10",
    count: Annotated[int, typer.Option(min=5, max=2000, help="Held-out networks.")] = 30,
    seed: Annotated[int, typer.Option(help="Seed of the draw (not the profile's).")] = 1,
    rounds: Annotated[int, typer.Option(min=1, max=50)] = 3,
):
    """Predicted vs measured latency on held-out networks (quiet machine): error, Kendall."""
    import tempfile

    from dse.cli.common import progress_callback
    from dse.deploy import latency_model as lm
    from dse.deploy import latency_profile as lp
    from dse.deploy.timing import time_folder
    from dse.fileio import atomic_write_text
    from dse.search.census import canonical_key, draw_architectures
    from dse.search.space import load_space

    prof = lm.Profile.load(profile) if profile else lm.active_profile()
    seen = {canonical_key(s["spec"]) for s in prof.data.get("samples", [])}
    specs = draw_architectures(load_space(space), count, seed, exclude=seen)
    with tempfile.TemporaryDirectory() as tmp:
        with progress_callback("exporting") as tick:
            rows = lp.export_all(specs, Path(tmp), tick)
        with progress_callback("timing") as tick:
            measured = time_folder(Path(tmp), 1, rounds, progress=tick)
    result = lp.validate(prof, rows, measured)
    result.update(profile=str(profile or "dse's own"), measured_on=measured["cpu"],
                  runtime=measured["runtime"], command="dse " + " ".join(sys.argv[1:]))
    atomic_write_text(json.dumps(result, indent=1), out.with_suffix(".json"))
    lines = [f"# Latency model validation: {result['networks']} held-out networks", "",
             f"Profile: {prof.describe()}. Measured here: {measured['runtime']}, 1 thread, "
             f"batch 1, {measured['cpu']}, median of {rounds} interleaved rounds.", "",
             f"- median |error| {result['median_abs_rel_error']:.1%}, p90 "
             f"{result['p90_abs_rel_error']:.1%}, max {result['max_abs_rel_error']:.1%}",
             f"- Kendall {result['kendall']:.3f}, Spearman {result['spearman']:.3f}",
             f"- command: `{result['command']}`", "",
             "| network | measured ms | predicted ms | error |", "|---|---|---|---|"]
    from dse.models.registry import make_config

    for r in sorted(result["rows"], key=lambda r: r["measured_ms"]):
        args = dict(r["spec"])
        name = make_config(args.pop("name"), **args).summary()
        lines.append(f"| {name} | {r['measured_ms']:.3f} | {r['predicted_ms']:.3f} | "
                     f"{(r['predicted_ms'] - r['measured_ms']) / r['measured_ms']:+.1%} |")
    atomic_write_text("\n".join(lines) + "\n", out)
    console.print(f"{result['networks']} held-out networks: median |error| "
                  f"{result['median_abs_rel_error']:.1%}, Kendall {result['kendall']:.3f} -> "
                  f"{out}")


def _read_json(path: Path, what: str) -> dict | list:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{what} {path} cannot be read ({type(exc).__name__}); it is "
                          f"written by `dse latency-model profile` / dse.deploy.timing.") from None

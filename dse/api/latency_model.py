"""`latency_profile` and `latency_validate`: fit a latency profile on this machine (or from
a board's timings) and check its predictions on held-out networks."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from dse.deploy import latency_model as lm
from dse.deploy import latency_profile as lp
from dse.deploy.timing import time_folder
from dse.errors import ConfigError
from dse.fileio import atomic_write_text
from dse.models.registry import make_config
from dse.search.census import canonical_key, draw_architectures
from dse.search.space import load_space

#: A progress bar factory: `with bar("timing") as tick: tick(done, todo)`.
Bar = Callable[[str], AbstractContextManager[Callable[[int, int], None]]]


def _no_bar(_: str):
    return nullcontext(lambda done, todo: None)


def latency_profile(out: Path, *, space: str = "hps_arch_cifar10", count: int = 60,
                    seed: int = 0, work: Path | None = None, export_only: bool = False,
                    timings: Path | None = None, rounds: int = 3, bar: Bar = _no_bar,
                    say: Callable[[str], None] = print) -> dict | None:
    """Export `count` networks of `space` (drawn with `seed`) into `work`, time them here
    (onnxruntime, 1 thread, batch 1, `rounds` interleaved rounds) or read a board's
    `timings` of them, and fit a profile written to `out`. With `export_only`, stop after
    the export (to time on a board) and return None."""
    if (export_only or timings) and work is None:
        raise ConfigError("--export-only and --timings need --work FOLDER (the networks).")
    with tempfile.TemporaryDirectory() as tmp:
        folder = work or Path(tmp)
        if timings is None:
            specs = draw_architectures(load_space(space), count, seed)
            with bar("exporting") as tick:
                rows = lp.export_all(specs, folder, tick)
            atomic_write_text(json.dumps(rows), folder / "rows.json")
            if export_only:
                return None
            say(f"timing {len(rows)} networks, {rounds} rounds (keep the machine quiet)")
            with bar("timing") as tick:
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
    return {**profile, "networks": len(rows)}


def latency_validate(out: Path, *, profile: Path | None = None,
                     space: str = "hps_arch_cifar10", count: int = 30, seed: int = 1,
                     rounds: int = 3, command: str = "", bar: Bar = _no_bar) -> dict:
    """Predicted against measured latency of `count` networks of `space` that the profile
    was not fitted on (median, p90, max |error|; Kendall, Spearman); writes `out` (.md)
    and its .json beside it and returns the result."""
    prof = lm.Profile.load(profile) if profile else lm.active_profile()
    seen = {canonical_key(s["spec"]) for s in prof.data.get("samples", [])}
    specs = draw_architectures(load_space(space), count, seed, exclude=seen)
    with tempfile.TemporaryDirectory() as tmp:
        with bar("exporting") as tick:
            rows = lp.export_all(specs, Path(tmp), tick)
        with bar("timing") as tick:
            measured = time_folder(Path(tmp), 1, rounds, progress=tick)
    result = lp.validate(prof, rows, measured)
    result.update(profile=str(profile or "dse's own"), measured_on=measured["cpu"],
                  runtime=measured["runtime"], command=command)
    atomic_write_text(json.dumps(result, indent=1), out.with_suffix(".json"))
    atomic_write_text(_report(result, prof, measured, rounds), out)
    return result


def _report(result: dict, prof, measured: dict, rounds: int) -> str:
    lines = [f"# Latency model validation: {result['networks']} held-out networks", "",
             f"Profile: {prof.describe()}. Measured here: {measured['runtime']}, 1 thread, "
             f"batch 1, {measured['cpu']}, median of {rounds} interleaved rounds.", "",
             f"- median |error| {result['median_abs_rel_error']:.1%}, p90 "
             f"{result['p90_abs_rel_error']:.1%}, max {result['max_abs_rel_error']:.1%}",
             f"- Kendall {result['kendall']:.3f}, Spearman {result['spearman']:.3f}",
             f"- command: `{result['command']}`", "",
             "| network | measured ms | predicted ms | error |", "|---|---|---|---|"]
    for r in sorted(result["rows"], key=lambda r: r["measured_ms"]):
        args = dict(r["spec"])
        name = make_config(args.pop("name"), **args).summary()
        lines.append(f"| {name} | {r['measured_ms']:.3f} | {r['predicted_ms']:.3f} | "
                     f"{(r['predicted_ms'] - r['measured_ms']) / r['measured_ms']:+.1%} |")
    return "\n".join(lines) + "\n"


def _read_json(path: Path, what: str) -> dict | list:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{what} {path} cannot be read ({type(exc).__name__}); it is "
                          f"written by `dse latency-model profile` / dse.deploy.timing.") from None

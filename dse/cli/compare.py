"""`dse compare`: is a confirmed model ahead of a baseline, and is it as fast?"""

from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dse.cli.common import Storage, app, console, err, parse_seeds
from dse.errors import ConfigError


@app.command("compare")
def compare_cmd(
    study: Annotated[str, typer.Option(help="Study holding the confirmations.")],
    trial: Annotated[int, typer.Option(help="The confirmed trial (the found model).")],
    baseline: Annotated[str, typer.Option(
        help="The confirmed baseline, e.g. hps-06-0.5x (`dse confirm --baseline`).")],
    epochs: Annotated[int | None, typer.Option(
        min=1, help="Compare runs of this many epochs [default: the longest both have with "
                    "two or more seeds].")] = None,
    seeds: Annotated[str | None, typer.Option(
        help="Only these seeds, e.g. 0,1,2: the comparison as it stood before more seeds "
             "were added [default: every complete seed].")] = None,
    comparisons: Annotated[int, typer.Option(
        min=1, max=10_000, help="How many tests the conclusion rests on (found models "
                                "compared with this baseline, or looks as seeds were added): "
                                "the one-sided p is also given adjusted for them (Bonferroni, "
                                "p x N).")] = 1,
    latency: Annotated[bool, typer.Option(
        help="Also time both models side by side (onnxruntime, batch 1, one thread), from "
             "their first compared seed's checkpoints (seed 0 unless --seeds leaves it out); run "
             "it on a quiet machine.")] = True,
    rounds: Annotated[int, typer.Option(min=1, max=100, help="Alternating timing rounds.")]
    = 5,
    out: Annotated[Path | None, typer.Option(help="Also write the result as JSON here.")]
    = None,
    storage: Storage = None,
):
    """Test accuracies of a confirmed trial against a confirmed baseline trained the same
    way (same epochs, all training images, CIFAR test set): means, standard deviations,
    the difference against twice the pooled standard deviation, Welch's t-test; and their
    onnxruntime latency timed in alternating rounds."""
    from dse import confirmed
    from dse.store import Store

    only = set(parse_seeds(seeds)) if seeds is not None else None
    store = Store(storage, create=False)
    epochs = epochs or confirmed.common_epochs(store, study, trial, baseline)
    if epochs is None:
        raise ConfigError(f"trial {trial} and {baseline[:40]!r} of study {study[:60]!r} have no "
                          f"training length at which both have two or more complete seeds; "
                          f"run `dse confirm --study {study[:60]} --trials {trial} --baseline "
                          f"{baseline[:40]} --repeats 3 --epochs N` first.")
    found, base = ([r for r in confirmed.runs(store, study, w, epochs)
                    if only is None or r.seed in only] for w in (trial, baseline))
    if len(found) < 2 or len(base) < 2:
        raise ConfigError(f"at {epochs} epochs trial {trial} has {len(found)} and "
                          f"{baseline[:40]!r} {len(base)} complete seeds"
                          f"{' of those --seeds names' if only else ''}; a comparison needs "
                          f"two or more of each.")
    stats = confirmed.compare([r.test_accuracy for r in found], [r.test_accuracy for r in base])
    table = Table(title=f"{study}: {epochs} epochs on all training images, CIFAR test set")
    for col in ("model", "seeds", "test accuracy by seed", "mean ± sd"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for name, rows, m, s in ((f"trial {trial}", found, stats["mean"][0], stats["sd"][0]),
                             (baseline, base, stats["mean"][1], stats["sd"][1])):
        table.add_row(name, str(len(rows)), " ".join(f"{r.test_accuracy:.2%}" for r in rows),
                      f"{m:.2%} ± {s * 100:.2f}")
    console.print(table)
    console.print(
        f"difference {stats['difference'] * 100:+.2f} points; pooled sd "
        f"{stats['pooled_sd'] * 100:.2f} ({_in_sds(stats)}); ahead by more "
        f"than twice it: "
        f"{'yes' if stats['ahead_by_twice_pooled_sd'] else 'no'}. Welch's t-test: t = "
        f"{stats['welch_t']:.2f}, df = {stats['welch_df']:.1f}, one-sided p = "
        f"{stats['p_one_sided']:.3g} (H1: trial {trial} is more accurate), two-sided p = "
        f"{stats['p_two_sided']:.3g}.", soft_wrap=True)
    if comparisons > 1:
        stats["p_one_sided_adjusted"] = confirmed.bonferroni(stats["p_one_sided"], comparisons)
        console.print(f"adjusted for {comparisons} comparisons with this baseline (Bonferroni, "
                      f"p x {comparisons}): one-sided p = {stats['p_one_sided_adjusted']:.3g}.",
                      soft_wrap=True)
    result = {"study": study, "trial": trial, "baseline": baseline, "epochs": epochs,
              "split": "CIFAR test set",
              **({"seeds": sorted(only)} if only is not None else {}),
              **({"comparisons": comparisons} if comparisons > 1 else {}), "accuracies": {
                  str(trial): [r.test_accuracy for r in found],
                  baseline: [r.test_accuracy for r in base]}, **stats,
              "command": "dse " + " ".join(sys.argv[1:])}
    if latency:
        result["latency"] = _latency(store, found[0], base[0], rounds)
        lat = result["latency"]
        console.print(
            f"latency (onnxruntime, batch 1, 1 thread, {rounds} alternating rounds): trial "
            f"{trial} {lat['median_ms'][0]:.3f} ms, {baseline} {lat['median_ms'][1]:.3f} ms; "
            f"ratio {lat['ratio']:.2f}x (rounds {min(lat['ratios']):.2f}-"
            f"{max(lat['ratios']):.2f}); load average at start {lat['load_average']:.2f}",
            soft_wrap=True)
        if lat["load_average"] > 0.5:
            err.print("warning: the machine was not quiet (load average above 0.5); the "
                      "latency ratio may not hold on a quiet core.")
    if out is not None:
        from dse.fileio import atomic_write_text

        atomic_write_text(json.dumps(result, indent=1), out)
        console.print(f"wrote {out}")


def _in_sds(stats: dict) -> str:
    """The difference in pooled standard deviations, as printed."""
    k = stats["difference_in_pooled_sd"]
    return "every seed equal" if k is None else f"{k:.2f} pooled sds"


def _latency(store, found, base, rounds: int) -> dict:
    """The first compared seed's checkpoints of both (found again if the repository moved),
    exported to ONNX, timed in alternating rounds."""
    import tempfile

    from dse import hardware
    from dse.deploy.latency import export_onnx_quietly, side_by_side
    from dse.train.checkpoint import load_model

    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, rec in enumerate((found, base)):
            checkpoint = store.require(rec.checkpoint,
                                       f"the checkpoint of confirmation run {rec.id}",
                                       "run the compare where the confirmation ran, or use "
                                       "--no-latency.")
            model, _ = load_model(checkpoint)
            paths.append(export_onnx_quietly(model.eval(), Path(tmp) / f"m{i}.onnx"))
        timed = side_by_side(paths, rounds)
    medians = [[t.median_ms for t in per] for per in timed]
    ratios = [a / b for a, b in zip(*medians, strict=True)]
    return {"runtime": "onnxruntime", "threads": 1, "batch": 1, "rounds": rounds,
            "median_ms": [statistics.median(m) for m in medians], "round_medians_ms": medians,
            "ratios": ratios, "ratio": statistics.median(ratios), "load_average": load,
            "hardware": hardware.describe()}

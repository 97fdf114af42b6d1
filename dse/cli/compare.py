"""`dse compare`: is a confirmed model ahead of a baseline, and is it as fast?"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dse.cli.common import Storage, app, console, err, parse_seeds
from dse.errors import ConfigError

Epochs = Annotated[int | None, typer.Option(
    min=1, help="Compare runs of this many epochs [default: the longest both have with two "
                "or more seeds].")]
Seeds = Annotated[str | None, typer.Option(
    help="Only these seeds, e.g. 0,1,2: the comparison as it stood before more seeds were "
         "added [default: every complete seed].")]
Comparisons = Annotated[int, typer.Option(
    min=1, max=10_000, help="How many tests the conclusion rests on (found models compared "
                            "with this baseline, or looks as seeds were added): the "
                            "one-sided p is also given adjusted for them (Bonferroni, p x N).")]
Latency = Annotated[bool, typer.Option(
    help="Also time both models side by side (onnxruntime, batch 1, one thread), from their "
         "first compared seed's checkpoints (seed 0 unless --seeds leaves it out); run it on "
         "a quiet machine.")]
Rounds = Annotated[int, typer.Option(min=1, max=100, help="Alternating timing rounds.")]
Out = Annotated[Path | None, typer.Option(help="Also write the result as JSON here.")]
TrainImages = Annotated[int | None, typer.Option(
    min=10, help="Compare runs trained on this many training images (`dse confirm "
                 "--train-images`, `dse auto --final-images`) [default: all].")]


@app.command("compare")
def compare_cmd(
    study: Annotated[str, typer.Option(help="Study holding the confirmations.")],
    trial: Annotated[list[int], typer.Option(
        help="The confirmed trial (the found model); repeat it to test several finalists "
             "against the baseline, each p then also Holm-adjusted over them.")],
    baseline: Annotated[str, typer.Option(
        help="The confirmed baseline, e.g. hps-06-0.5x (`dse confirm --baseline`).")],
    epochs: Epochs = None, seeds: Seeds = None, comparisons: Comparisons = 1,
    latency: Latency = True, rounds: Rounds = 5, out: Out = None,
    train_images: TrainImages = None, storage: Storage = None,
):
    """Test accuracies of a confirmed trial against a confirmed baseline trained the same
    way (same epochs, all training images, CIFAR test set): means, standard deviations,
    the difference against twice the pooled standard deviation, Welch's t-test; and their
    onnxruntime latency timed in alternating rounds. Several --trial: each is tested, and
    the one-sided p-values are Holm-adjusted over them (as `dse auto` does)."""
    from dse import api  # lazy: `dse --help` loads neither torch nor optuna

    if len(trial) > 1 and comparisons > 1:
        raise ConfigError("--comparisons adjusts one trial's p (Bonferroni); with several "
                          "--trial the p-values are Holm-adjusted over them: leave "
                          "--comparisons out.")
    only = parse_seeds(seeds) if seeds is not None else None
    results = api.compare_each(study, trial, baseline, epochs=epochs, seeds=only,
                               comparisons=comparisons, latency=latency, rounds=rounds,
                               train_images=train_images, storage=storage,
                               command="dse " + " ".join(sys.argv[1:]))
    for r in results:
        _print(r)
    if len(results) > 1:
        console.print(f"Holm-adjusted over the {len(results)} trials (one-sided): " + ", ".join(
            f"trial {r['trial']} p = {r['p_one_sided_holm']:.3g}" for r in results) + ".",
            soft_wrap=True)
    if out is not None:
        from dse.fileio import atomic_write_text  # lazy: as above

        atomic_write_text(json.dumps(results[0] if len(results) == 1 else results, indent=1),
                          out)
        console.print(f"wrote {out}")


def _print(r: dict) -> None:
    """The seeds table, the statistics and the latency of a comparison."""
    table = Table(title=f"{r['study']}: {r['epochs']} epochs on all training images, CIFAR "
                        f"test set")
    for col in ("model", "seeds", "test accuracy by seed, %", "mean ± sample sd"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for i, (name, accs) in enumerate(zip((f"trial {r['trial']}", r["baseline"]),
                                         r["accuracies"].values(), strict=True)):
        table.add_row(name, str(len(accs)), " ".join(f"{a * 100:.2f}" for a in accs),
                      f"{r['mean'][i] * 100:.2f} ± {r['sd'][i] * 100:.2f} %")
    console.print(table)
    k = r["difference_in_pooled_sd"]
    in_sds = "every seed equal" if k is None else f"{k:.2f} pooled sds"
    console.print(
        f"difference {r['difference'] * 100:+.2f} points; pooled sd {r['pooled_sd'] * 100:.2f} "
        f"({in_sds}); ahead by more than twice it: "
        f"{'yes' if r['ahead_by_twice_pooled_sd'] else 'no'}. Welch's t-test: t = "
        f"{r['welch_t']:.2f}, df = {r['welch_df']:.1f}, one-sided p = {r['p_one_sided']:.3g} "
        f"(H1: trial {r['trial']} is more accurate), two-sided p = {r['p_two_sided']:.3g}.",
        soft_wrap=True)
    if "p_one_sided_adjusted" in r:
        n = r["comparisons"]
        console.print(f"adjusted for {n} comparisons with this baseline (Bonferroni, p x {n}): "
                      f"one-sided p = {r['p_one_sided_adjusted']:.3g}.", soft_wrap=True)
    if "latency" in r:
        lat = r["latency"]
        console.print(
            f"latency (onnxruntime, batch 1, 1 thread, {lat['rounds']} alternating rounds): "
            f"trial {r['trial']} {lat['median_ms'][0]:.3f} ms, {r['baseline']} "
            f"{lat['median_ms'][1]:.3f} ms; ratio {lat['ratio']:.2f}x (rounds "
            f"{min(lat['ratios']):.2f}-{max(lat['ratios']):.2f}); load average at start "
            f"{lat['load_average']:.2f}", soft_wrap=True)
        for who, w in zip((f"trial {r['trial']}", r["baseline"]), lat.get("weights", []),
                          strict=False):
            if w != "trained":
                console.print(f"{who} timed with its initial weights: its checkpoints are on "
                              f"another machine (float32 inference does the same work).")
        if lat["load_average"] > 0.5:
            err.print("warning: the machine was not quiet (load average above 0.5); the "
                      "latency ratio may not hold on a quiet core.")

"""`dse fidelity check`: how well a space's short fidelities rank candidates."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from dse.cli.common import DataDir, Device, app, console, err
from dse.errors import ConfigError

fidelity_app = typer.Typer(help="Calibrate fidelities against a long training.",
                           no_args_is_help=True)
app.add_typer(fidelity_app, name="fidelity")


@fidelity_app.command("check")
def check_cmd(
    space: Annotated[str, typer.Option(help="Shipped space name or YAML.")],
    fidelity: Annotated[list[str], typer.Option(
        help="A fidelity of the space to calibrate (repeatable).")],
    reference_epochs: Annotated[int, typer.Option(
        min=1, max=10_000, help="Epochs of the reference training (all training images, "
                                "test set).")] = 15,
    reference_images: Annotated[int | None, typer.Option(
        min=10, help="Training images of the reference [default: all].")] = None,
    sample: Annotated[int, typer.Option(min=3, max=10_000, help="Candidates drawn.")] = 20,
    seed: Annotated[int, typer.Option(help="Seed of the draw and of every training.")] = 0,
    constraint: Annotated[list[str] | None, typer.Option(
        help="Architecture constraint the candidates meet, e.g. 'size_mb <= 0.37'.")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Calibration folder [default: calibrations/<the space's study name>]; run the "
             "same command again to continue it.")] = None,
    shard: Annotated[str, typer.Option(
        help="I/N: train only every N-th candidate starting at the I-th, so N processes "
             "(one per core) share one calibration folder.")] = "1/1",
    analyse_only: Annotated[bool, typer.Option(
        "--analyse-only", help="Train nothing; summarise the runs done so far.")] = False,
    device: Device = "auto",
    data_dir: DataDir = None,
):
    """Train a random sample of feasible candidates at the given fidelities and at a long
    reference; report Kendall/Spearman (bootstrap 95 % intervals, overall and within size
    bins) of each ranking signal against the reference, with each fidelity's cost. Writes
    OUT/summary.{json,md}; resumable (every run keeps a resume checkpoint)."""
    from dse import calibration as cal_mod
    from dse.fileio import atomic_write_text
    from dse.search.space import load_space

    part = _shard(shard)
    sp = load_space(space).with_constraints(constraint)
    unknown = [f for f in fidelity if f not in sp.fidelities]
    if unknown:
        raise ConfigError(f"--fidelity {unknown[0][:40]!r} is not a fidelity of {sp.name}; "
                          f"its fidelities: {', '.join(sp.fidelities)}.")
    timed = [str(c) for c in sp.constraints if not c.arch]
    if timed:
        raise ConfigError(f"--constraint {timed[0]} needs training or timing; calibration "
                          f"draws candidates by architecture constraints only.")
    cal = cal_mod.Calibration(out or Path("calibrations") / sp.study)
    plan = {"space": sp.name, "dataset": sp.dataset, "fidelities": list(fidelity),
            "fidelity_settings": {f: sp.fidelities[f].model_dump() for f in fidelity},
            "reference": {"epochs": reference_epochs, "train_images": reference_images,
                          "split": "test"},
            "sample": sample, "seed": seed, "constraints": [str(c) for c in sp.constraints],
            "command": "dse " + " ".join(sys.argv[1:])}
    if not cal.plan_path.exists():
        plan["candidates"] = cal_mod.draw(sp, sample, seed)
    cal.start(plan)
    if not analyse_only:
        trained = cal_mod.run_all(cal, device, data_dir,
                                  say=lambda m: console.print(m, soft_wrap=True), shard=part)
        err.print(f"{trained} runs trained now")
    summary = cal.summary()
    atomic_write_text(json.dumps(summary, indent=1), cal.folder / "summary.json")
    atomic_write_text(cal_mod.markdown(summary), cal.folder / "summary.md")
    console.print(cal_mod.markdown(summary), soft_wrap=True)
    console.print(f"wrote {cal.folder / 'summary.md'}")


def _shard(text: str) -> tuple[int, int]:
    """'I/N' as (I, N) with 1 <= I <= N."""
    i, _, n = text.partition("/")
    if not (i.isdigit() and n.isdigit() and 1 <= int(i) <= int(n) <= 64):
        raise ConfigError(f"--shard {text[:20]!r} is not I/N with 1 <= I <= N <= 64, "
                          f"e.g. --shard 1/2 and --shard 2/2 in two processes.")
    return int(i), int(n)

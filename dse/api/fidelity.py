"""`fidelity_check`: how well a space's short fidelities rank candidates against a long
reference training (`dse.calibration`)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from dse import calibration
from dse.calibration import reuse
from dse.errors import ConfigError
from dse.fileio import atomic_write_text
from dse.report.calibration import markdown
from dse.search.space import load_space


def _reusable(sp, folder: Path, plan: dict) -> list[tuple[dict, Path]]:
    recipes = {json.dumps(c["train"], sort_keys=True)
               for c in calibration.draw(sp, 5, plan["seed"])}
    if len(recipes) != 1:
        raise ConfigError(f"--reuse needs a space with one recipe (its references were "
                          f"trained with theirs); {sp.name} searches the recipe.")
    other = calibration.Calibration(folder)
    return reuse.reusable(sp, other.plan(), json.loads(recipes.pop()), plan["reference"],
                          plan["seed"], folder)


def _copy_supernets(sp, fidelities: list[str], folder: Path, cal, say) -> None:
    other = calibration.Calibration(folder)
    for src, dst in reuse.supernets(sp, fidelities, other.plan(), cal.plan()["seed"], folder,
                                    cal.folder):
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_suffix(".pt.part")
        shutil.copyfile(src, tmp)
        tmp.replace(dst)
        say(f"supernet reused from {src}")


def fidelity_check(space: str, fidelities: list[str], *, reference_epochs: int = 15,
                   reference_images: int | None = None, sample: int = 20, seed: int = 0,
                   constraints: list[str] | None = None, out: Path | None = None,
                   shard: tuple[int, int] = (1, 1), analyse_only: bool = False,
                   device: str = "auto", data_dir: Path | None = None, command: str = "",
                   reuse: Path | None = None,
                   say: Callable[[str], None] = print) -> tuple[dict, Path, int]:
    """Train `sample` feasible candidates of `space` (drawn with `seed` under architecture
    `constraints`) at each of `fidelities` and at the reference (`reference_epochs` on all
    or `reference_images` training images, test set); this process trains every N-th
    candidate from the I-th (`shard` = (I, N)). Writes OUT/summary.{json,md} (OUT default:
    calibrations/STUDY) and returns the summary, the folder and how many runs this call
    trained; running it again resumes. `reuse`: another calibration folder whose finished
    references count as this one's first candidates where they can (`dse.calibration.reuse`)."""
    sp = load_space(space).with_constraints(constraints)
    unknown = [f for f in fidelities if f not in sp.fidelities]
    if unknown:
        raise ConfigError(f"--fidelity {unknown[0][:40]!r} is not a fidelity of {sp.name}; "
                          f"its fidelities: {', '.join(sp.fidelities)}.")
    timed = [str(c) for c in sp.constraints if not c.arch]
    if timed:
        raise ConfigError(f"--constraint {timed[0]} needs training or timing; calibration "
                          f"draws candidates by architecture constraints only.")
    cal = calibration.Calibration(out or Path("calibrations") / sp.study)
    plan = {"space": sp.name, "space_file": str(space), "dataset": sp.dataset,
            "fidelities": list(fidelities),
            "fidelity_settings": {f: sp.fidelities[f].model_dump() for f in fidelities},
            "reference": {"epochs": reference_epochs, "train_images": reference_images,
                          "split": "test"},
            "sample": sample, "seed": seed, "constraints": [str(c) for c in sp.constraints],
            "command": command}
    reused: list[tuple[dict, Path]] = []
    if not cal.plan_path.exists():
        if reuse is not None:
            reused = _reusable(sp, Path(reuse), plan)[:sample]
            plan["reused"] = {"folder": str(reuse), "references": len(reused)}
        firsts = [c for c, _ in reused]
        plan["candidates"] = firsts + calibration.draw(sp, sample - len(firsts), seed, firsts)
    cal.start(plan)
    if reuse is not None:
        _copy_supernets(sp, fidelities, Path(reuse), cal, say)
    for j, (_, result) in enumerate(reused):
        where = cal.run_dir(j, "reference")
        where.mkdir(parents=True, exist_ok=True)
        atomic_write_text(result.read_text(), where / "result.json")
        atomic_write_text(f"{result}\n", where / "reused-from.txt")
        say(f"candidate {j}: reference reused from {result}")
    trained = 0 if analyse_only else calibration.run_all(cal, device, data_dir, say=say,
                                                         shard=shard)
    summary = cal.summary()
    atomic_write_text(json.dumps(summary, indent=1), cal.folder / "summary.json")
    atomic_write_text(markdown(summary), cal.folder / "summary.md")
    return summary, cal.folder, trained

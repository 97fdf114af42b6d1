"""`dse auto`'s final stage: the finalists and the baseline confirmed with every seed, in
this process or shared out over single-threaded `dse confirm` processes."""

from __future__ import annotations

import math
import time

from dse.api.auto_plan import AutoPlan
from dse.api.confirm import confirm
from dse.errors import ConfigError
from dse.metrics import MeasureContext, get_metric, measure_one
from dse.models import create
from dse.report.data import load_study_frame
from dse.search.display import duration
from dse.search.workers import run_children


def final_stage(plan: AutoPlan, chosen: list[int], say, common: dict) -> None:
    """Confirm the finalists and the baseline, every seed: in this process with one
    worker, else the runs shared out over `workers` single-threaded `dse confirm`
    processes, the longest first to the least loaded (each run resumes and a finished one
    is skipped, so a stop loses at most an epoch per process)."""
    if plan.workers == 1:
        confirm(plan.ladder_study, trials=chosen, epochs=plan.final_epochs,
                seeds=list(range(plan.seeds)), baselines=[plan.baseline],
                train_images=plan.final_images, say=say, **common)
        return
    frame = load_study_frame(plan.ladder_study, common["storage"]).set_index("trial")
    base_macs = measure_one(get_metric("macs"), create(plan.baseline),
                            MeasureContext(1))["macs"]
    base_macs = float(base_macs)
    runs = [(base_macs, None, s) for s in range(plan.seeds)]
    macs = {t: float(frame.at[t, "macs"]) for t in chosen}
    runs += [(base_macs if math.isnan(macs[t]) else macs[t], t, s) for t in chosen
             for s in range(plan.seeds)]
    loads: list[tuple[list[float], list]] = [([0.0], []) for _ in range(plan.workers)]
    for cost, trial, seed in sorted(runs, key=lambda r: -r[0]):
        least = min(loads, key=lambda w: w[0][0])
        least[0][0] += cost
        least[1].append((trial, seed))
    say(f"final: {len(runs)} runs shared out over {plan.workers} single-threaded processes")
    t0, done = time.monotonic(), [0]

    def ended(args: list[str], code: int) -> None:
        done[0] += code == 0
        say(f"final: {done[0]}/{len(runs)} runs stored, {duration(time.monotonic() - t0)} "
            f"elapsed" if code == 0 else f"final: a run ended with exit code {code}")

    code = run_children([[_confirm_args(plan, t, s, common) for t, s in share]
                         for _, share in loads if share], 1, say, ended)
    if code:
        raise ConfigError(f"a final confirmation process ended with exit code {code}; run "
                          f"the same dse auto command again to continue.")


def _confirm_args(plan: AutoPlan, trial: int | None, seed: int, common: dict) -> list[str]:
    """The `dse confirm` command line of one final run (`trial` None: the baseline)."""
    who = ["--top", "0", "--baseline", plan.baseline] if trial is None else [
        "--trials", str(trial)]
    args = ["confirm", "--study", plan.ladder_study, *who, "--epochs", str(plan.final_epochs),
            "--seeds", str(seed), "--no-summary", "--device", str(common["device"]),
            "--artifacts", str(common["artifacts"])]
    if plan.final_images:
        args += ["--train-images", str(plan.final_images)]
    if common["storage"]:
        args += ["--storage", common["storage"]]
    if common["data_dir"]:
        args += ["--data-dir", str(common["data_dir"])]
    return args

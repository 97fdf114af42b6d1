"""How many trials does each sampler waste on candidates an architecture constraint rejects?

Replays dse's objective without training: every candidate of the space is built and its
MACs counted (real models, real constraint, real samplers with `Trial.set_constraint`);
infeasible candidates are told as complete with their constraint excess and placeholder
values, exactly as `dse run` records them. Feasible candidates get a *synthetic* accuracy
(a smooth function of MACs plus noise) in place of training, so only the rejection rate,
not the front, is meaningful here.

    python bench/constraint_rejections.py [--trials 60] [--seeds 5] [--bound 2e7]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import warnings

import optuna

from dse import hardware
from dse.constraints import Constraint
from dse.measure import count_macs
from dse.search.candidate import sample
from dse.search.feasible import make_sampler
from dse.search.space import load_space
from dse.search.warmstart import enqueue_feasible_start
from dse.train.job import build_model

warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def run(sampler: str, seed: int, trials: int, bound: float, warm: bool = False,
        redraw: bool = False) -> float:
    """Fraction of `trials` rejected by 'macs <= bound' under `sampler` (with dse's feasible
    start when `warm`, and its redrawing of infeasible joint proposals when `redraw`)."""
    space = load_space("hps_cifar10").model_copy(update={
        "sampler": sampler, "objectives": ["accuracy", "size_mb"],
        "constraints": [Constraint.parse(f"macs <= {bound:g}")]})
    made = make_sampler(space, seed)  # dse wraps it in a FeasibleSampler
    study = optuna.create_study(directions=space.directions,
                                sampler=made if redraw else getattr(made, "inner", made))
    if warm:
        enqueue_feasible_start(space, study, trials, seed)
    rng = random.Random(seed)
    rejected, cache = 0, {}
    for _ in range(trials):
        trial = study.ask()
        cand = sample(space, trial)
        key = repr(cand["model"])
        if key not in cache:
            model = build_model(cand["model"], "cifar10")
            params = sum(p.numel() for p in model.parameters())
            cache[key] = (count_macs(model), params * 4 / 1e6)
        macs, size = cache[key]
        trial.set_constraint(f"macs <= {bound:g}", macs - bound)
        trial.set_constraint("learned", 0.0)
        if macs > bound:
            rejected += 1
            study.tell(trial, [0.0, size])
        else:
            acc = 0.3 + 0.1 * math.log10(macs / 1e6 + 1) + rng.gauss(0, 0.02)
            study.tell(trial, [acc, size])
    return rejected / trials


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=60)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--bound", type=float, default=2e7)
    ap.add_argument("--samplers", default="nsga2,tpe,random")
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    print(f"hps_cifar10 space, constraint macs <= {args.bound:g}, {args.trials} trials, "
          f"{args.seeds} seeds; CPU {hardware.cpu_name()}")
    for name in args.samplers.split(","):
        for warm, redraw, label in ((False, False, "plain"), (True, False, "feasible start"),
                                    (True, True, "start + redraw")):
            rates = [run(name, s, args.trials, args.bound, warm, redraw)
                     for s in range(args.seeds)]
            print(f"{name:>7} {label:>14}: rejected {statistics.median(rates):.0%} median "
                  f"(min {min(rates):.0%}, max {max(rates):.0%}) of trials")


if __name__ == "__main__":
    main()

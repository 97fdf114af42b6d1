"""Multi-objective successive halving vs full-fidelity random search at equal compute.

Both arms search the same space with the same seed budget, counted in trained epochs
(every epoch of every trial, stopped ones included). Each arm runs trials until its
budget is spent; the final hypervolume of each arm's front (accuracy, size, epoch time)
is computed on one normalisation shared by both arms.

    python bench/halving_vs_random.py [--budget 120] [--seeds 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import textwrap
from pathlib import Path

import optuna
from rich.console import Console

from dse import pareto
from dse.search.space import SearchSpace, load_space
from dse.search.study import run_study
from dse.store import Store

SPACE = textwrap.dedent("""
    name: bench_halving
    study: bench
    objectives: [accuracy, size_mb, epoch_time_s]
    sampler: random
    model:
      family: hps
      blocks: [1, {int: [1, 2]}, {int: [1, 4]}, 1]
      width: {choices: [0.25, 0.5, 0.75]}
      activation: {choices: [relu, elu]}
    training:
      optimizer: {sgd: {lr: {log: [0.003, 0.3]}, momentum: 0.9, nesterov: true}}
      batch_size: 128
    fidelities:
      full: {epochs: 9, train_images: 2000, val_images: 1000, latency_repeats: 5}
      halving: {epochs: 9, train_images: 2000, val_images: 1000, latency_repeats: 5,
                scheduler: {halving: {min_epochs: 1, eta: 3}}}
    default_fidelity: full
""")


def run_arm(space: SearchSpace, fidelity: str, url: str, budget: int, seed: int, tmp: Path,
            data_dir) -> list[list[float]]:
    quiet = Console(file=open(os.devnull, "w"))  # noqa: SIM115
    name = f"{fidelity}-{seed}"
    store = Store(url)
    spent = 0
    while spent < budget:
        run_study(space, name, url, 1, None, fidelity, "cpu", seed, data_dir, False,
                  tmp / "artifacts", quiet)
        spent = len(store.epochs([r.id for r in store.trials(name)]))
    study = optuna.load_study(study_name=name, storage=url)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    print(f"  {name}: {len(study.trials)} trials, {len(done)} complete, {spent} epochs")
    return [pareto.to_minimise(t.values, space.directions) for t in done]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=int, default=120, help="trained epochs per arm")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dse-halving-"))
    (tmp / "space.yaml").write_text(SPACE)
    space = load_space(str(tmp / "space.yaml"))
    url = f"sqlite:///{tmp}/dse.db"
    for seed in range(args.seeds):
        arms = {f: run_arm(space, f, url, args.budget, seed, tmp, args.data_dir)
                for f in ("halving", "full")}
        norm = pareto.normaliser(arms["halving"] + arms["full"])
        hv = {f: pareto.hypervolume([norm(p) for p in pts], [1.1] * 3)
              for f, pts in arms.items()}
        print(f"seed {seed}: hypervolume at {args.budget} epochs: successive halving "
              f"{hv['halving']:.4f} | random search {hv['full']:.4f} | ratio "
              f"{hv['halving'] / hv['full']:.2f}x")


if __name__ == "__main__":
    main()

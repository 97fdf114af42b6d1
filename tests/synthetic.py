"""A synthetic study written through Optuna's API plus dse's tables, for report tests and
the `dse pareto` benchmark. Its values are invented (and marked so in the study's attrs)."""

from __future__ import annotations

import math
import random

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from dse.records import Candidate
from dse.store import Store

DISTS = {"blocks3": IntDistribution(1, 16), "width": CategoricalDistribution([0.5, 1.0, 1.5]),
         "sgd.lr": FloatDistribution(0.01, 0.3, log=True)}


def make_study(url: str, name: str = "synthetic", n: int = 40, epochs: int = 10,
               seed: int = 0) -> optuna.Study:
    """A 3-objective study with n trials (about 10% pruned) and per-epoch curves."""
    rng = random.Random(seed)
    store = Store(url)
    study = optuna.create_study(study_name=name, storage=store.optuna,
                                directions=["maximize", "minimize", "minimize"])
    for key, value in (("objectives", ["accuracy", "size_mb", "epoch_time_s"]),
                       ("fidelity", "synthetic"), ("dataset", "cifar10"), ("space", "synthetic"),
                       ("synthetic", True)):
        study.set_user_attr(key, value)
    for i in range(n):
        params = {"blocks3": rng.randint(1, 16), "width": rng.choice([0.5, 1.0, 1.5]),
                  "sgd.lr": math.exp(rng.uniform(math.log(0.01), math.log(0.3)))}
        size = 0.1 * params["width"] ** 2 * (2 + params["blocks3"])
        acc = min(0.95, 0.55 + 0.08 * math.log1p(size * 10) + rng.gauss(0, 0.02))
        m = {"accuracy": acc, "accuracy_std": abs(rng.gauss(0, 0.005)), "size_mb": size,
             "params": int(size * 250_000), "macs": int(size * 2e7), "epoch_time_s":
             2 + 3 * size + rng.random(), "latency_ms": 1 + 4 * size, "latency_p90_ms":
             1.2 + 4 * size, "train_images_per_s": 1000 / (1 + size)}
        cand = {"model": {"name": "hps", "blocks": [1, 2, params["blocks3"], 1],
                          "width": params["width"], "activation": "relu"},
                "train": {"optimizer": "sgd", "lr": params["sgd.lr"], "optimizer_kwargs": {},
                          "schedule": "cosine", "schedule_kwargs": {}, "batch_size": 128,
                          "weight_decay": 5e-4, "label_smoothing": 0.0, "augment": True,
                          "warmup_epochs": 0.0}}
        pruned = i % 10 == 7
        state = optuna.trial.TrialState.PRUNED if pruned else optuna.trial.TrialState.COMPLETE
        trial = optuna.trial.create_trial(
            state=state, params=params, distributions=DISTS,
            values=None if pruned else [m["accuracy"], m["size_mb"], m["epoch_time_s"]],
            user_attrs={"candidate": cand, "constraints": []})
        study.add_trial(trial)
        rid = store.start_trial(name, i, "synthetic", Candidate.from_dict(cand), f"hash{i}",
                                {"cpu": "synthetic"})
        for e in range(1, (2 if pruned else epochs) + 1):
            frac = e / epochs
            store.add_epoch(rid, 0, {"epoch": e, "lr": 0.1 * (1 - frac), "train_loss":
                                     2.3 * (1 - 0.6 * frac), "train_acc": acc * frac,
                                     "val_loss": 2.3 * (1 - 0.5 * frac), "val_acc": acc * frac,
                                     "train_s": 2.0, "eval_s": 0.5, "epoch_s": 2.5,
                                     "train_images_per_s": 1000.0})
        store.finish_trial(rid, "pruned" if pruned else "complete", None if pruned else m,
                           "stopped by successive halving" if pruned else None)
    return study

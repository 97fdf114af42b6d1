"""The study objective: candidate -> model -> (reject | reuse | train) -> measurements."""

from __future__ import annotations

import hashlib
import json
import math
import statistics
from pathlib import Path

import optuna

from dse import hardware, measure
from dse.data import Split
from dse.search import halving
from dse.search.space import (
    ARCH_METRICS,
    Fidelity,
    SearchSpace,
    parse_constraint,
    sample,
    violations,
)
from dse.store import Store
from dse.train import TrainConfig, fit, resolve_device, save_weights, seed_everything
from dse.train.job import DataPlan, build_model, prepare_data


class _Stopped(Exception):
    """Successive halving stopped this trial at a rung."""


def candidate_hash(candidate: dict, fidelity: Fidelity, dataset: str, seed: int) -> str:
    """Key of a measurement: same architecture, recipe, fidelity, data set and seed."""
    blob = json.dumps({"c": candidate, "f": fidelity.model_dump(), "d": dataset, "s": seed},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def constraint_values(constraints: list[str], values: dict) -> list[float]:
    """Optuna's constraint convention: <= 0 where satisfied, the excess where violated."""
    out = []
    for c in constraints:
        metric, op, bound = parse_constraint(c)
        v = values.get(metric)
        out.append(0.0 if v is None else (v - bound if op == "<=" else bound - v))
    return out


class Objective:
    """Callable for `study.optimize`: trains one sampled candidate and returns its objectives."""

    def __init__(self, space: SearchSpace, fidelity: str, store: Store, study: optuna.Study,
                 device: str = "auto", seed: int = 0, data_dir=None, download: bool = False,
                 artifacts: Path = Path("studies")):
        self.space, self.fidelity_name, self.fid = space, fidelity, space.fidelities[fidelity]
        self.store, self.study, self.seed = store, study, seed
        self.device = resolve_device(device)
        self.data_dir, self.download = data_dir, download
        self.artifacts = Path(artifacts) / study.study_name
        self.plan = DataPlan(space.dataset, self.fid.val_size, self.fid.train_images,
                             self.fid.val_images, seed)
        self._splits: dict[float, tuple[Split, Split]] = {}
        self._arch: dict[str, dict] = {}  # measurements per architecture, this process
        self.hardware = hardware.describe(self.device)

    def splits(self, resolution: float) -> tuple[Split, Split]:
        """(train, val) at a resolution, resized once per process."""
        if resolution not in self._splits:
            train, val, _ = prepare_data(self.plan, resolution, self.data_dir, self.download,
                                         test=False)
            self._splits[resolution] = (train, val)
        return self._splits[resolution]

    def __call__(self, trial: optuna.Trial) -> list[float]:  # noqa: D102
        cand = sample(self.space, trial)
        seed_everything(self.seed)  # this model trains as repeat 0 unless rejected or reused
        model = build_model(cand["model"], self.space.dataset)
        arch_key = json.dumps(cand["model"], sort_keys=True)
        if arch_key not in self._arch:
            self._arch[arch_key] = {**measure.architecture(model), **measure.cpu_latency_ms(
                model, self.fid.latency_repeats, warmup=1)}
        arch = dict(self._arch[arch_key])
        key = candidate_hash(cand, self.fid, self.space.dataset, self.seed)
        rid = self.store.start_trial(self.study.study_name, trial.number, self.fidelity_name,
                                     cand, key, self.hardware)
        trial.set_user_attr("dse_id", rid)
        trial.set_user_attr("candidate", cand)
        try:
            return self._evaluate(trial, rid, cand, arch, key, model)
        except _Stopped as stop:
            self.store.finish_trial(rid, "pruned", reason=str(stop))
            trial.set_user_attr("dse_status", "pruned")
            raise optuna.TrialPruned(str(stop)) from None
        except optuna.TrialPruned:
            raise
        except BaseException as exc:
            self.store.finish_trial(rid, "failed", reason=f"{type(exc).__name__}: {exc}")
            raise

    def _evaluate(self, trial, rid: int, cand: dict, arch: dict, key: str,
                  model) -> list[float]:
        bad = violations(self.space.constraints, arch, only=ARCH_METRICS)
        if bad:  # known before training: reject at no compute
            reason = "infeasible before training: " + "; ".join(bad)
            self.store.finish_trial(rid, "infeasible", arch, reason)
            trial.set_user_attr("dse_status", "infeasible")
            trial.set_user_attr("reason", reason)
            raise optuna.TrialPruned(reason)
        prev = self.store.find_measured(key)
        if prev is not None:  # the same measurement exists: reuse it, train nothing
            m = prev.measurements
            self.store.finish_trial(rid, "complete", m, f"reused trial {prev.number}",
                                    prev.checkpoint, reused_from=prev.id)
            return self._finish(trial, m, "reused")
        accs, epoch_times, speeds, ckpt = [], [], [], None
        for r in range(self.fid.repeats):
            history, model = self._train(trial, rid, cand, arch, r, model if r == 0 else None)
            accs.append(history[-1]["val_acc"])
            epoch_times.append(statistics.fmean(h["epoch_s"] for h in history))
            speeds.append(history[-1]["train_images_per_s"])
            if r == 0:
                path = self.artifacts / f"trial-{trial.number:05d}.pt"
                ckpt = str(save_weights(path, model, cand["model"]))
        m = {**arch, "accuracy": statistics.fmean(accs),
             "accuracy_std": statistics.pstdev(accs) if len(accs) > 1 else 0.0,
             "accuracies": accs, "epoch_time_s": statistics.fmean(epoch_times),
             "train_images_per_s": statistics.fmean(speeds), "epochs": self.fid.epochs,
             "repeats": self.fid.repeats}
        if any(math.isnan(a) for a in accs):
            raise RuntimeError("validation accuracy is NaN")
        self.store.finish_trial(rid, "complete", m, checkpoint=ckpt)
        return self._finish(trial, m, "complete")

    def _finish(self, trial, m: dict, status: str) -> list[float]:
        trial.set_user_attr("dse_status", status)
        trial.set_user_attr("constraints", constraint_values(self.space.constraints, m))
        trial.set_user_attr("measurements", {k: v for k, v in m.items() if k != "accuracies"})
        return [float(m[o]) for o in self.space.objectives]

    def _train(self, trial, rid: int, cand: dict, arch: dict, repeat: int, model=None):
        seed = self.seed + repeat
        cfg = TrainConfig(epochs=self.fid.epochs, seed=seed, **cand["train"])
        if model is None:  # repeat 0 reuses the model built (seeded) for the measurements
            seed_everything(seed)
            model = build_model(cand["model"], self.space.dataset)
        train, val = self.splits(cand["model"].get("resolution", 1.0))
        rungs = self.fid.rungs() if repeat == 0 else []
        times: list[float] = []

        def on_epoch(row: dict) -> None:
            self.store.add_epoch(rid, repeat, row)
            times.append(row["epoch_s"])
            if row["epoch"] in rungs:
                self._rung(trial, rungs.index(row["epoch"]), row, arch, times)

        history = fit(model, train, val, cfg, self.space.dataset, self.device, on_epoch=on_epoch)
        return history, model

    def _rung(self, trial, k: int, row: dict, arch: dict, times: list[float]) -> None:
        values = {**arch, "accuracy": row["val_acc"], "epoch_time_s": statistics.fmean(times)}
        vector = [float(values[o]) for o in self.space.objectives]
        name = f"rung{k}"
        trial.set_user_attr(name, vector)
        others = [t for t in self.study.get_trials(deepcopy=False)
                  if name in t.user_attrs and t.number != trial.number]
        points = [t.user_attrs[name] for t in others] + [vector]
        if not halving.promotable(points, len(points) - 1, self.fid.eta, self.space.directions):
            raise _Stopped(f"stopped by successive halving at rung {k} (epoch {row['epoch']}): "
                           f"not in the best 1/{self.fid.eta} of {len(points)} trials")

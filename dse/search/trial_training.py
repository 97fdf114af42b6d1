"""How a study trial trains: its repeats, the scheduler's decisions at rungs, and where each
epoch goes (store, live view, learning curve). `Objective` holds one `TrialTrainer`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna

from dse import metrics
from dse.data import Split
from dse.metrics import MeasureContext
from dse.records import CURVE_FIELDS, Candidate
from dse.search.fidelity import Fidelity
from dse.search.schedulers import EpochReport
from dse.search.signals import signals
from dse.search.space import SearchSpace
from dse.store import Store
from dse.train import load_resume, seed_everything
from dse.train.job import DataPlan, TrainingJob, build_model, prepare_data, training_config


class Stopped(Exception):
    """The fidelity's scheduler stopped this trial early."""


class _Pause(Exception):
    """A repeat reached the rung where the scheduler decides on all repeats together."""


def _round(v: float) -> float | None:
    return round(float(v), 5) if math.isfinite(float(v)) else None


@dataclass
class TrialTrainer:
    """Trains a study's candidates at its fidelity: everything a trial's training needs,
    given explicitly. `train` returns (history, trained model) per repeat."""

    store: Store
    space: SearchSpace
    fid: Fidelity
    study: optuna.Study
    seed: int
    device: Any  # torch.device
    artifacts: Path
    data_dir: Path | None = None
    download: bool = False
    reporter: Any = None  # a display: trial_started, batch, epoch (optional)
    oneshot: Any = None  # a OneshotEvaluator when the fidelity is oneshot
    _splits: dict[int, tuple[Split, Split]] = field(default_factory=dict)

    @property
    def plan(self) -> DataPlan:
        """The images every trial trains and validates on."""
        f = self.fid
        return DataPlan(self.space.dataset, f.val_size, f.train_images, f.val_images, self.seed)

    def context(self, history: list[dict] | None = None) -> MeasureContext:
        """What metrics may use besides the model."""
        return MeasureContext(self.fid.latency_repeats, history or [], self.space.dataset)

    def splits(self, input_size: int) -> tuple[Split, Split]:
        """(train, val) at an input size, resized once per process."""
        if input_size not in self._splits:
            train, val, _ = prepare_data(self.plan, input_size, self.data_dir,
                                         self.download, test=False)
            self._splits[input_size] = (train, val)
        return self._splits[input_size]

    def state_path(self, number: int) -> Path:
        """Where trial `number`'s training state is kept while the scheduler may stop it
        (and after it stopped it, so that a late promotion can continue it)."""
        return self.artifacts / "stopped" / f"trial-{number:05d}.pt"

    def train(self, trial, rid: int, cand: Candidate, arch: dict, model,
              resume: dict | None = None):
        """Every repeat of a trial: together rung by rung when the scheduler decides on
        their mean, else one after another (repeat 0 from `resume` when given)."""
        if self.oneshot is not None:
            return [self._oneshot(trial, rid, cand, model)]
        if self.fid.repeats > 1 and self.fid.rungs():
            return self._together(trial, rid, cand, arch, model)
        return (self._one(trial, rid, cand, arch, r, model if r == 0 else None,
                          resume if r == 0 else None) for r in range(self.fid.repeats))

    def _record(self, trial, rid: int, repeat: int, history: list[dict]):
        """The sink every trial's epochs go to: store, history, live view, curve."""
        def record(row: dict) -> None:
            self.store.add_epoch(rid, repeat, row)
            history.append(row)
            if self.reporter is not None:
                self.reporter.epoch(row)
            if repeat == 0:
                trial.set_user_attr("learning_curve", {  # optuna-dashboard shows it
                    k: [_round(h[k]) for h in history] for k in CURVE_FIELDS})
        return record

    def _job(self, cand: Candidate, repeat: int, model, sinks: list, **kw) -> TrainingJob:
        cfg = training_config(cand.at(seed=self.seed + repeat), self.fid.epochs)
        train, val = self.splits(model.dse_config.input_size)
        return TrainingJob(dict(cand.model), cfg, self.space.dataset, train, val, self.device,
                           model, sinks, **kw)

    def _decide(self, trial, scheduler, epoch: int, values: dict, curve: dict,
                note: str = "") -> None:
        reason = scheduler.decide(EpochReport(trial, self.study, epoch, values,
                                              self.space.objectives, self.space.directions,
                                              curve))
        if reason:
            raise Stopped(reason + note)

    def _together(self, trial, rid: int, cand: Candidate, arch: dict, model0
                  ) -> list[tuple[list[dict], object]]:
        """Train every repeat up to each rung in turn (resume states on disk between
        segments), and let the scheduler decide at a rung on the mean of the repeats."""
        scheduler, epochs, n = self.fid.make_scheduler(), self.fid.epochs, self.fid.repeats
        folder = self.artifacts / f"trial-{trial.number:05d}-repeats"
        folder.mkdir(parents=True, exist_ok=True)
        models, histories, states = [], [[] for _ in range(n)], [None] * n
        for r in range(n):
            if r:
                seed_everything(self.seed + r)
            models.append(model0 if r == 0 else build_model(dict(cand.model),
                                                            self.space.dataset))
        try:
            for stop in [*scheduler.rungs(), epochs]:
                for r in range(n):
                    def pause(row: dict, stop: int = stop) -> None:
                        if row["epoch"] == stop < epochs:
                            raise _Pause
                    job = self._job(cand, r, models[r], [
                        self._record(trial, rid, r, histories[r]), pause],
                        resume=states[r], resume_path=folder / f"repeat-{r}.pt")
                    try:
                        job.run()
                    except _Pause:
                        states[r] = load_resume(folder / f"repeat-{r}.pt")
                if stop == epochs:
                    break
                runs = [{**arch, **metrics.measure_trained(m, self.context(h))}
                        for m, h in zip(models, histories, strict=True)]
                curves = [signals(h, arch.get("params", 0.0)) for h in histories]
                self._decide(trial, scheduler, stop, metrics.mean_of_repeats(runs),
                             {k: sum(c[k] for c in curves) / n for k in curves[0]},
                             f" (on the mean of {n} repeats)")
        finally:
            for path in folder.glob("repeat-*.pt"):
                path.unlink(missing_ok=True)
            if not any(folder.iterdir()):
                folder.rmdir()
        return list(zip(histories, models, strict=True))

    def _oneshot(self, trial, rid: int, cand: Candidate, model):
        """The candidate's weights from its supernet (BatchNorm recalibrated, validated: the
        epoch-0 row), then the fidelity's epochs of fine-tuning, if any."""
        train, val = self.splits(model.dse_config.input_size)
        model, row = self.oneshot(model, train, val, self.seed)
        history: list[dict] = []
        record = self._record(trial, rid, 0, history)
        record(row)
        if self.fid.epochs:
            self._job(cand, 0, model, [record]).run()
        return history, model

    def _one(self, trial, rid: int, cand: Candidate, arch: dict, repeat: int, model=None,
             resume: dict | None = None):
        if model is None:  # repeat 0 reuses the model built (seeded) for the measurements
            seed_everything(self.seed + repeat)
            model = build_model(dict(cand.model), self.space.dataset)
        scheduler = self.fid.make_scheduler() if repeat == 0 else None
        history: list[dict] = list(resume["history"]) if resume else []  # stored already
        state = self.state_path(trial.number) if scheduler is not None and self.fid.rungs() \
            else None

        def decide(row: dict) -> None:
            values = {**arch, **metrics.measure_trained(model, self.context(history))}
            self._decide(trial, scheduler, row["epoch"], values,
                         signals(history, arch.get("params", 0.0)))

        sinks = [self._record(trial, rid, repeat, history)]
        if scheduler is not None and scheduler.name != "none":
            sinks.append(decide)
        self._job(cand, repeat, model, sinks, resume=resume, resume_path=state,
                  on_batch=self.reporter.batch if getattr(self.reporter, "wants_batches",
                                                          False) else None,
                  save_epochs=set(self.fid.rungs())).run()  # a trial stops only at a rung
        return history, model

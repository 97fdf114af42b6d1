"""How a study trial trains: its repeats, the scheduler's decisions at rungs, and where
each epoch goes (store, live view, learning curve). Mixed into `Objective`."""

from __future__ import annotations

import math

from dse import metrics
from dse.records import CURVE_FIELDS
from dse.search.schedulers import EpochReport
from dse.search.signals import signals
from dse.train import TrainConfig, load_checkpoint, seed_everything
from dse.train.job import TrainingJob, build_model


class Stopped(Exception):
    """The fidelity's scheduler stopped this trial early."""


class _Pause(Exception):
    """A repeat reached the rung where the scheduler decides on all repeats together."""


def _round(v: float) -> float | None:
    return round(float(v), 5) if math.isfinite(float(v)) else None


class TrialTraining:
    """Training methods of `Objective` (which provides store, space, fid, seed, device,
    reporter, study, artifacts, splits, context and state_path)."""

    def _record(self, trial, rid: int, repeat: int, history: list[dict]):
        """The sink every trial's epochs go to: store, history, live view, curve."""
        def record(row: dict) -> None:
            self.store.add_epoch(rid, repeat, row)
            history.append(row)
            if self.reporter is not None:
                self.reporter.epoch(row)
            if repeat == 0:
                self._curve(trial, history)
        return record

    def _job(self, cand: dict, repeat: int, model, sinks: list, **kw) -> TrainingJob:
        cfg = TrainConfig(epochs=self.fid.epochs, seed=self.seed + repeat, **cand["train"])
        train, val = self.splits(model.dse_config.input_size)
        return TrainingJob(cand["model"], cfg, self.space.dataset, train, val, self.device,
                           model, sinks, **kw)

    def _train_together(self, trial, rid: int, cand: dict, arch: dict, model0
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
            models.append(model0 if r == 0 else build_model(cand["model"],
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
                        states[r] = load_checkpoint(folder / f"repeat-{r}.pt")
                if stop == epochs:
                    break
                runs = [{**arch, **metrics.measure_trained(m, self.context(h))}
                        for m, h in zip(models, histories, strict=True)]
                curves = [signals(h, arch.get("params", 0.0)) for h in histories]
                reason = scheduler.decide(EpochReport(
                    trial, self.study, stop, metrics.mean_of_repeats(runs),
                    self.space.objectives, self.space.directions,
                    {k: sum(c[k] for c in curves) / n for k in curves[0]}))
                if reason:
                    raise Stopped(f"{reason} (on the mean of {n} repeats)")
        finally:
            for path in folder.glob("repeat-*.pt"):
                path.unlink(missing_ok=True)
            if not any(folder.iterdir()):
                folder.rmdir()
        return list(zip(histories, models, strict=True))

    def _curve(self, trial, history: list[dict]) -> None:
        """The first repeat's learning curve as a user attribute (optuna-dashboard shows
        user attributes; report() is refused in multi-objective studies)."""
        trial.set_user_attr("learning_curve", {k: [_round(h[k]) for h in history]
                                               for k in CURVE_FIELDS})

    def _train(self, trial, rid: int, cand: dict, arch: dict, repeat: int, model=None,
               resume: dict | None = None):
        if model is None:  # repeat 0 reuses the model built (seeded) for the measurements
            seed_everything(self.seed + repeat)
            model = build_model(cand["model"], self.space.dataset)
        scheduler = self.fid.make_scheduler() if repeat == 0 else None
        history: list[dict] = list(resume["history"]) if resume else []  # stored already
        state = self.state_path(trial.number) if scheduler is not None and self.fid.rungs() \
            else None

        def decide(row: dict) -> None:
            values = {**arch, **metrics.measure_trained(model, self.context(history))}
            reason = scheduler.decide(EpochReport(trial, self.study, row["epoch"], values,
                                                  self.space.objectives,
                                                  self.space.directions,
                                                  signals(history, arch.get("params", 0.0))))
            if reason:
                raise Stopped(reason)

        sinks = [self._record(trial, rid, repeat, history)]
        if scheduler is not None and scheduler.name != "none":
            sinks.append(decide)
        self._job(cand, repeat, model, sinks, resume=resume, resume_path=state,
                  on_batch=self.reporter.batch if getattr(self.reporter, "wants_batches",
                                                          False) else None,
                  save_epochs=set(self.fid.rungs())).run()  # a trial stops only at a rung
        return history, model

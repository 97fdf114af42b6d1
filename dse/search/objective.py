"""The study objective: candidate -> model -> (reject | reuse | train) -> measurements."""

from __future__ import annotations

import hashlib
import json
import math
import time
from pathlib import Path

import optuna

from dse import hardware, metrics
from dse.data import Split
from dse.metrics import MeasureContext
from dse.models import describe
from dse.paths import study_folder
from dse.records import CURVE_FIELDS, MEASURED, Status
from dse.search.candidate import sample
from dse.search.schedulers import EpochReport
from dse.search.space import Fidelity, SearchSpace
from dse.store import Store
from dse.train import TrainConfig, resolve_device, save_weights, seed_everything
from dse.train.job import DataPlan, TrainingJob, build_model, num_classes, prepare_data


class _Stopped(Exception):
    """The fidelity's scheduler stopped this trial early."""


class _Pause(Exception):
    """A repeat reached the rung where the scheduler decides on all repeats together."""


def candidate_hash(candidate: dict, fidelity: Fidelity, dataset: str, seed: int) -> str:
    """Key of a measurement: same architecture, recipe, fidelity, data set and seed."""
    blob = json.dumps({"c": candidate, "f": fidelity.model_dump(), "d": dataset, "s": seed},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


LEARN_MARGIN = 0.03  # accuracy below chance + 3 points: the candidate did not learn


def _round(v: float) -> float | None:
    return round(float(v), 5) if math.isfinite(float(v)) else None


def arch_key(spec: dict, dataset: str) -> str:
    """Key of an architecture's measurements: the model spec and the data set's classes."""
    return hashlib.sha256(json.dumps([spec, dataset], sort_keys=True).encode()).hexdigest()[:32]


def machine_name() -> str:
    """What architecture measurements are valid for: the CPU model, one thread."""
    return f"{hardware.cpu_name()}, 1 thread"


class Objective:
    """Callable for `study.optimize`: trains one sampled candidate and returns its objectives."""

    def __init__(self, space: SearchSpace, fidelity: str, store: Store, study: optuna.Study,
                 device: str = "auto", seed: int = 0, data_dir=None, download: bool = False,
                 artifacts: Path = Path("studies"), reporter=None):
        self.space, self.fidelity_name, self.fid = space, fidelity, space.fidelities[fidelity]
        self.store, self.study, self.seed = store, study, seed
        self.reporter = reporter  # a display: trial_started, batch, epoch (optional)
        self.device = resolve_device(device)
        self.data_dir, self.download = data_dir, download
        self.artifacts = study_folder(artifacts, study.study_name)
        self.plan = DataPlan(space.dataset, self.fid.val_size, self.fid.train_images,
                             self.fid.val_images, seed)
        self._splits: dict[float, tuple[Split, Split]] = {}
        self._arch: dict[str, dict] = {}  # measurements per architecture, this process
        self.hardware = hardware.describe(self.device)
        self.machine = machine_name()  # latency metrics use one thread
        self.chance = 1 / num_classes(space.dataset)
        self.clean_up()

    def reconcile(self) -> dict[int, str]:
        """dse's rows of trials that Optuna has ended (stale heartbeats) follow its state."""
        trials = self.study.get_trials(deepcopy=False, states=None)
        finished = {t.number: t.state.name for t in trials if t.state.is_finished()}
        self.store.reconcile(self.study.study_name, finished)
        return finished

    def clean_up(self) -> None:
        """After a crash: rows of dead workers' trials follow Optuna's state; checkpoints of
        trials that did not complete and temporary files older than the heartbeat grace
        period are removed."""
        from dse.store import heartbeat

        finished = self.reconcile()
        if not self.artifacts.is_dir():
            return
        grace = heartbeat()[1]
        now = time.time()
        for tmp in [*self.artifacts.glob(".trial-*.pt.*"),  # atomic_save's temporary files
                    *self.artifacts.glob("stopped/.trial-*.pt.*")]:
            if now - tmp.stat().st_mtime > grace:
                tmp.unlink(missing_ok=True)
        done = {f"trial-{r.number:05d}.pt" for r in self.store.trials(self.study.study_name)
                if r.status in MEASURED}
        for ckpt in self.artifacts.glob("trial-*.pt"):
            n = ckpt.name.removeprefix("trial-").removesuffix(".pt")
            if ckpt.name not in done and n.isdigit() and finished.get(int(n)) == "FAIL":
                ckpt.unlink(missing_ok=True)  # written, but its trial never completed
        for state in self.artifacts.glob("stopped/trial-*.pt"):  # a dead trial's state
            n = state.stem.removeprefix("trial-")
            if n.isdigit() and finished.get(int(n)) == "FAIL":
                state.unlink(missing_ok=True)

    def architecture(self, spec: dict, model) -> dict:
        """Architecture metrics of a spec: from this process, else from the store (once per
        spec and machine for all workers), else measured now and stored."""
        key = arch_key(spec, self.space.dataset)
        if key not in self._arch:
            wanted = {*self.space.objectives, *(c.metric for c in self.space.constraints)}
            known = self.store.arch_measurements(key, self.machine)
            new = metrics.measure_architecture(model, self.context(), wanted, skip=known)
            if new:
                self.store.save_arch_measurements(key, self.machine, new)
            self._arch[key] = {**known, **new}
        return dict(self._arch[key])

    def context(self, history: list[dict] | None = None) -> MeasureContext:
        """What metrics may use besides the model."""
        return MeasureContext(self.fid.latency_repeats, history or [], self.space.dataset)

    def splits(self, input_size: int) -> tuple[Split, Split]:
        """(train, val) at an input size, resized once per process."""
        if input_size not in self._splits:
            train, val, _ = prepare_data(self.plan, input_size / 32, self.data_dir,
                                         self.download, test=False)
            self._splits[input_size] = (train, val)
        return self._splits[input_size]

    def __call__(self, trial: optuna.Trial) -> list[float]:  # noqa: D102
        self.reconcile()  # Optuna has just failed any stale trial of a dead worker
        cand = sample(self.space, trial)
        seed_everything(self.seed)  # this model trains as repeat 0 unless rejected or reused
        model = build_model(cand["model"], self.space.dataset)
        arch = self.architecture(cand["model"], model)
        key = candidate_hash(cand, self.fid, self.space.dataset, self.seed)
        rid = self.store.start_trial(self.study.study_name, trial.number, self.fidelity_name,
                                     cand, key, self.hardware)
        trial.set_user_attr("dse_id", rid)
        trial.set_user_attr("candidate", cand)
        summary = describe(cand["model"], model.dse_config)  # the family's own words
        trial.set_user_attr("summary", summary)
        if self.reporter is not None:
            from dse.train.recipe import describe_recipe

            self.reporter.trial_started(trial.number, summary, describe_recipe(cand))
        try:
            return self._evaluate(trial, rid, cand, arch, key, model)
        except _Stopped as stop:
            self.store.finish_trial(rid, Status.PRUNED, reason=str(stop))
            raise optuna.TrialPruned(str(stop)) from None
        except optuna.TrialPruned:
            raise
        except BaseException as exc:
            self.store.finish_trial(rid, Status.FAILED, reason=f"{type(exc).__name__}: {exc}")
            self.state_path(trial.number).unlink(missing_ok=True)
            raise

    def _evaluate(self, trial, rid: int, cand: dict, arch: dict, key: str,
                  model) -> list[float]:
        from dse.constraints import violations

        bad = violations(self.space.constraints, arch, arch_only=True)
        if bad:  # known before training: reject at no compute
            reason = "infeasible before training: " + "; ".join(bad)
            self._set_constraints(trial, arch)
            self.store.finish_trial(rid, Status.INFEASIBLE, arch, reason)
            # Complete, with its constraint excess: constraint-aware samplers (NSGA-II's
            # constrained domination, TPE, GP) learn to avoid the region; a pruned trial
            # would be invisible to them. Values not measurable untrained are placeholders.
            return self._placeholder_values(arch)
        prev = self.store.find_measured(key)
        if prev is not None:  # the same measurement exists: reuse it, train nothing
            return self._finish(trial, rid, prev.measurements, f"reused trial {prev.number}",
                                prev.checkpoint, reused_from=prev.id)
        twin = self.store.find_running(key, self.study.study_name, before=rid)
        if twin is not None:  # parallel workers drew it twice: one trains, this one skips
            why = (f"the same candidate is being trained by trial {twin.number} (another "
                   f"worker); not trained twice")
            # reused_from: not a measurement of its own (a later proposal reuses the twin's)
            self.store.finish_trial(rid, Status.PRUNED, reason=why, reused_from=twin.id)
            raise optuna.TrialPruned(why)
        stopped = self.store.find_measured(key, pruned=True)
        resume, note = None, None
        if stopped is not None:  # the scheduler stopped it: continue it only if promoted now
            resume = self._revival(stopped.number)
            if resume is None:
                raise _Stopped(f"the same candidate was stopped in trial {stopped.number} "
                               f"({stopped.reason or 'by the scheduler'}); not trained again")
            note = (f"continued trial {stopped.number} from epoch {len(resume['history'])}, "
                    f"promoted late by the scheduler")
            trial.set_user_attr("continues", stopped.number)
        runs, ckpt = [], None
        if self.fid.repeats > 1 and self.fid.rungs():  # decide on the mean of the repeats
            trained = self._train_together(trial, rid, cand, arch, model)
        else:
            trained = (self._train(trial, rid, cand, arch, r, model if r == 0 else None,
                                   resume if r == 0 else None)
                       for r in range(self.fid.repeats))
        for r, (history, trained_model) in enumerate(trained):
            runs.append(metrics.measure_trained(trained_model, self.context(history)))
            if r == 0:
                path = self.artifacts / f"trial-{trial.number:05d}.pt"
                ckpt = str(save_weights(path, trained_model, cand["model"]))
        m = {**arch, **metrics.mean_of_repeats(runs), "epochs": self.fid.epochs,
             "repeats": self.fid.repeats}
        if "accuracy" in runs[0]:
            m["accuracies"] = [r["accuracy"] for r in runs]
        if any(not math.isfinite(m[o]) for o in self.space.objectives):
            raise RuntimeError("an objective is NaN or infinite (the run diverged?)")
        self.state_path(trial.number).unlink(missing_ok=True)
        return self._finish(trial, rid, m, note, ckpt)

    def state_path(self, number: int) -> Path:
        """Where trial `number`'s training state is kept while the scheduler may stop it
        (and after it stopped it, so that a late promotion can continue it)."""
        return self.artifacts / "stopped" / f"trial-{number:05d}.pt"

    def _revival(self, number: int) -> dict | None:
        """The training state of stopped trial `number` if the scheduler would promote it
        now (its rung has grown since); the state file passes to the new trial."""
        from dse.errors import CheckpointError
        from dse.train import load_checkpoint

        path = self.state_path(number)
        if self.fid.repeats > 1 or not path.is_file():
            return None
        try:
            state = load_checkpoint(path)
        except CheckpointError:
            return None
        if not self.fid.make_scheduler().revivable(self.study, number, len(state["history"]),
                                                   self.space.directions):
            return None
        path.unlink()  # superseded by the new trial's own state
        return state

    def _placeholder_values(self, arch: dict) -> list[float]:
        """Objective values of an untrained, infeasible candidate: measured architecture
        values where known, else the worst value seen among completed trials (0 or 1e3
        before any), so that it never looks good to a sampler."""
        done = [t for t in self.study.get_trials(deepcopy=False,
                                                 states=(optuna.trial.TrialState.COMPLETE,))
                if t.values and all(c <= 0 for c in t.constraints.values())]
        out = []
        for i, (name, direction) in enumerate(zip(self.space.objectives,
                                                  self.space.directions, strict=True)):
            if name in arch:
                out.append(float(arch[name]))
                continue
            seen = [t.values[i] for t in done]
            worst = (min(seen) if direction == "maximize" else max(seen)) if seen else (
                0.0 if direction == "maximize" else 1e3)
            out.append(float(worst))
        return out

    def _set_constraints(self, trial, values: dict) -> None:
        """The space's constraints and 'learned' (accuracy clear of chance), for Optuna's
        constraint-aware samplers and the front; <= 0 means satisfied."""
        for c in self.space.constraints:
            trial.set_constraint(str(c), c.excess(values))
        acc = values.get("accuracy")
        trial.set_constraint("learned", 0.0 if acc is None else self.chance + LEARN_MARGIN - acc)

    def _finish(self, trial, rid: int, m: dict, note: str | None, checkpoint: str | None,
                reused_from: int | None = None) -> list[float]:
        """Store the trial's end (complete, or not learned when its accuracy stayed near
        chance) and return its objective values."""
        status, reason, acc = Status.COMPLETE, note, m.get("accuracy")
        if acc is not None and acc < self.chance + LEARN_MARGIN:
            status = Status.NOT_LEARNED
            reason = (f"did not learn: validation accuracy {acc:.1%} is within "
                      f"{LEARN_MARGIN:.0%} of chance ({self.chance:.0%}); kept off the front"
                      + (f" ({note})" if note else ""))
        self.store.finish_trial(rid, status, m, reason, checkpoint, reused_from)
        self._set_constraints(trial, m)
        trial.set_user_attr("measurements", {k: v for k, v in m.items() if k != "accuracies"})
        return [float(m[o]) for o in self.space.objectives]

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
        from dse.train import load_checkpoint

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
                reason = scheduler.decide(EpochReport(
                    trial, self.study, stop, metrics.mean_of_repeats(runs),
                    self.space.objectives, self.space.directions))
                if reason:
                    raise _Stopped(f"{reason} (on the mean of {n} repeats)")
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
                                                  self.space.directions))
            if reason:
                raise _Stopped(reason)

        sinks = [self._record(trial, rid, repeat, history)]
        if scheduler is not None and scheduler.name != "none":
            sinks.append(decide)
        self._job(cand, repeat, model, sinks, resume=resume, resume_path=state,
                  on_batch=self.reporter.batch if getattr(self.reporter, "wants_batches",
                                                          False) else None,
                  save_epochs=set(self.fid.rungs())).run()  # a trial stops only at a rung
        return history, model

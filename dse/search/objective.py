"""The study objective: candidate -> model -> (reject | reuse | train) -> measurements."""

from __future__ import annotations

import math
from pathlib import Path

import optuna

from dse import hardware, metrics
from dse.constraints import violations
from dse.errors import CheckpointError
from dse.models import describe
from dse.paths import study_folder
from dse.records import Candidate, Status
from dse.search.candidate import sample
from dse.search.keys import arch_key, candidate_hash, machine_name
from dse.search.recovery import clean_up, reconcile
from dse.search.space import SearchSpace
from dse.search.supernets import OneshotEvaluator, ensure_supernets
from dse.search.trial_training import Stopped, TrialTrainer
from dse.store import Store
from dse.train import load_resume, resolve_device, save_weights, seed_everything
from dse.train.job import build_model, num_classes
from dse.train.recipe import describe_recipe

LEARN_MARGIN = 0.03  # accuracy below chance + 3 points: the candidate did not learn


class Objective:
    """Callable for `study.optimize`: trains one sampled candidate (through its
    `TrialTrainer`) and returns its objectives."""

    def __init__(self, space: SearchSpace, fidelity: str, store: Store, study: optuna.Study,
                 device: str = "auto", seed: int = 0, data_dir=None, download: bool = False,
                 artifacts: Path = Path("studies"), reporter=None,
                 supernet: Path | None = None):
        self.space, self.fidelity_name, self.fid = space, fidelity, space.fidelities[fidelity]
        self.store, self.study, self.seed = store, study, seed
        self.reporter = reporter  # a display: trial_started, batch, epoch (optional)
        self.artifacts = study_folder(artifacts, study.study_name)
        self.trainer = TrialTrainer(store, space, self.fid, study, seed, resolve_device(device),
                                    self.artifacts, data_dir, download, reporter)
        if self.fid.oneshot is not None:  # trained by prepare_study before any worker ran
            paths = ensure_supernets(space, fidelity, self.artifacts, seed, data_dir, download,
                                     self.trainer.device, supernet, train=False)
            self.trainer.oneshot = OneshotEvaluator(space, self.fid, paths)
        self._arch: dict[str, dict] = {}  # measurements per architecture, this process
        self.hardware = hardware.describe(self.trainer.device)
        self.machine = machine_name()  # latency metrics use one thread
        self.chance = 1 / num_classes(space.dataset)
        self.clean_up()

    def reconcile(self) -> dict[int, str]:
        """dse's rows of trials that Optuna has ended (stale heartbeats) follow its state."""
        return reconcile(self.store, self.study)

    def clean_up(self) -> None:
        """After a crash: dead workers' rows, checkpoints and temporary files (see
        `dse.search.recovery.clean_up`)."""
        clean_up(self.store, self.study, self.artifacts)

    def architecture(self, spec, model) -> dict:
        """Architecture metrics of a spec: from this process, else from the store (once per
        spec and machine for all workers), else measured now and stored."""
        key = arch_key(spec, self.space.dataset)
        if key not in self._arch:
            wanted = {*self.space.objectives, *(c.metric for c in self.space.constraints)}
            known = self.store.arch_measurements(key, self.machine)
            new = metrics.measure_architecture(model, self.trainer.context(), wanted,
                                               skip=known)
            if new:
                self.store.save_arch_measurements(key, self.machine, new)
            self._arch[key] = {**known, **new}
        return dict(self._arch[key])

    def __call__(self, trial: optuna.Trial) -> list[float]:  # noqa: D102
        self.reconcile()  # Optuna has just failed any stale trial of a dead worker
        cand = sample(self.space, trial).at(self.fidelity_name, self.seed)
        seed_everything(self.seed)  # this model trains as repeat 0 unless rejected or reused
        model = build_model(dict(cand.model), self.space.dataset)
        arch = self.architecture(cand.model, model)
        key = candidate_hash(cand, self.fid, self.space.dataset, self.seed)
        rid = self.store.start_trial(self.study.study_name, trial.number, self.fidelity_name,
                                     cand, key, self.hardware)
        self._publish(trial, rid)
        summary = describe(dict(cand.model), model.dse_config)  # the family's own words
        trial.set_user_attr("summary", summary)
        if self.reporter is not None:
            self.reporter.trial_started(trial.number, summary, describe_recipe(cand.to_dict()))
        try:
            return self._evaluate(trial, rid, cand, arch, key, model)
        except Stopped as stop:
            self.store.finish_trial(rid, Status.PRUNED, reason=str(stop))
            raise optuna.TrialPruned(str(stop)) from None
        except optuna.TrialPruned:
            raise
        except BaseException as exc:
            self.store.finish_trial(rid, Status.FAILED, reason=f"{type(exc).__name__}: {exc}")
            self.trainer.state_path(trial.number).unlink(missing_ok=True)
            raise

    def _publish(self, trial, rid: int) -> None:
        """Optuna's user attributes for optuna-dashboard, derived from dse's stored record
        (`TrialRecord.dashboard`): the record is the one copy."""
        for key, value in self.store.trial(rid).dashboard().items():
            trial.set_user_attr(key, value)

    def _evaluate(self, trial, rid: int, cand: Candidate, arch: dict, key: str,
                  model) -> list[float]:

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
                raise Stopped(f"the same candidate was stopped in trial {stopped.number} "
                               f"({stopped.reason or 'by the scheduler'}); not trained again")
            note = (f"continued trial {stopped.number} from epoch {len(resume['history'])}, "
                    f"promoted late by the scheduler")
            trial.set_user_attr("continues", stopped.number)
        runs, ckpt = [], None
        trained = self.trainer.train(trial, rid, cand, arch, model, resume)
        for r, (history, trained_model) in enumerate(trained):
            runs.append(metrics.measure_trained(trained_model, self.trainer.context(history)))
            if r == 0:
                path = self.artifacts / f"trial-{trial.number:05d}.pt"
                ckpt = str(save_weights(path, trained_model, dict(cand.model)))
        m = {**arch, **metrics.mean_of_repeats(runs), "epochs": self.fid.epochs,
             "repeats": self.fid.repeats}
        if "accuracy" in runs[0]:
            m["accuracies"] = [r["accuracy"] for r in runs]
        if any(not math.isfinite(m[o]) for o in self.space.objectives):
            raise RuntimeError("an objective is NaN or infinite (the run diverged?)")
        self.trainer.state_path(trial.number).unlink(missing_ok=True)
        return self._finish(trial, rid, m, note, ckpt)

    def _revival(self, number: int) -> dict | None:
        """The training state of stopped trial `number` if the scheduler would promote it
        now (its rung has grown since); the state file passes to the new trial."""

        path = self.trainer.state_path(number)
        if self.fid.repeats > 1:
            return None
        try:
            state = load_resume(path)
        except CheckpointError:
            return None
        if state is None:
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
        self._publish(trial, rid)
        return [float(m[o]) for o in self.space.objectives]

"""Where a `dse auto` run stands, read from its store and folder, nothing trained or
written: the stored plan, each stage's time used and trials, the final runs stored and
the verdict once there is one."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import optuna

from dse.api.auto_plan import AutoPlan
from dse.errors import ConfigError
from dse.paths import study_folder
from dse.records import Status
from dse.search.space import load_space
from dse.store import Store


def auto_status(space: str, study: str | None = None, storage: str | None = None,
                artifacts: Path = Path("studies")) -> list[str]:
    """The lines `dse auto --status` prints for the run of `space` (its study, or `study`)."""
    name = study or load_space(space).study
    store = Store(storage, create=False)
    if name not in optuna.get_all_study_names(store.optuna):
        return [f"dse auto: study {name!r} is not in the store yet: its run has not started."]
    search = optuna.load_study(study_name=name, storage=store.optuna)
    stored = search.user_attrs.get("auto_plan")
    if stored is None:
        raise ConfigError(f"study {name!r} was not started by dse auto (it has no stored "
                          f"plan); give the --study of a dse auto run.")
    plan = AutoPlan.model_validate(stored)
    used = {s: float(search.user_attrs.get(f"auto_{s}_s", 0.0)) for s in ("search", "ladder")}
    lines = [*plan.lines(), "", "where it stands:",
             f"  search: {_hours(used['search'])} of {_hours(plan.search_s)} used; "
             f"trials {_states(search.get_trials(deepcopy=False))}"]
    ladder = _study(store, plan.ladder_study)
    if ladder is None or "auto_picks" not in ladder.user_attrs:
        return [*lines, "  ladder: not reached", "  final: not reached"]
    left = max(plan.search_s - used["search"], 0.0)
    lines.append(f"  ladder: {_hours(used['ladder'])} of {_hours(plan.ladder_s + left)} used; "
                 f"{len(ladder.user_attrs['auto_picks'])} picks, trials "
                 f"{_states(ladder.get_trials(deepcopy=False))}")
    lines.append("  final: " + _final(store, plan))
    verdict = study_folder(artifacts, plan.study) / "auto" / "auto.json"
    if verdict.is_file():
        for s in json.loads(verdict.read_text())["comparisons"]:
            lines.append(f"  verdict: trial {s['trial']} {'won' if s['won'] else 'did not win'}"
                         f" (Holm-adjusted p = {s['p_one_sided_holm']:.3g}); {verdict.parent}"
                         f"/auto.md says more")
    return lines


def _study(store: Store, name: str) -> optuna.Study | None:
    if name not in optuna.get_all_study_names(store.optuna):
        return None
    return optuna.load_study(study_name=name, storage=store.optuna)


def _states(trials: list) -> str:
    counts = Counter(t.state.name.lower() for t in trials)
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none yet"


def _final(store: Store, plan: AutoPlan) -> str:
    runs = [r for r in store.confirmations(plan.ladder_study) if r.epochs == plan.final_epochs
            and (r.train_images or 0) == (plan.final_images or 0)]
    if not runs:
        return "not reached"
    done = sum(r.status == Status.COMPLETE for r in runs)
    running = sum(r.status in (Status.RUNNING, Status.INTERRUPTED) for r in runs)
    return (f"{done} of {(plan.finalists + 1) * plan.seeds} runs stored "
            f"({plan.final_epochs} epochs), {running} running or stopped mid-run")


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h"

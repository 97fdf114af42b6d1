"""The committed `dse auto` runs were unattended: in every results/*/dse.db holding a study
with a stored plan, the plan was printed before the first trial, the only enqueued trials
are dse's own (the feasible start, re-derived here from the space and the worker seeds,
and the baseline), the ladder trained exactly the rule's picks from the search's
validation figures, and the final stage confirmed exactly the rule's finalists and the
baseline. A run under way is checked as far as it has gone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import optuna
import pytest

from dse.api.auto_plan import AutoPlan, finalists, ladder_order
from dse.report.data import load_study_frame
from dse.search.space import load_space
from dse.search.warmstart import feasible_candidates
from dse.store import Store

REPO = Path(__file__).resolve().parents[1]


def _planned(db: Path) -> list[str]:
    store = Store(f"sqlite:///{db}", create=False)
    return [s.study_name for s in optuna.get_all_study_summaries(store.optuna)
            if "auto_plan" in s.user_attrs]


RUNS = [(db, study) for db in sorted(REPO.glob("results/*/dse.db")) for study in _planned(db)]


def test_there_are_committed_unattended_runs():
    assert RUNS


@pytest.fixture(params=RUNS, ids=lambda r: f"{r[0].parent.name}:{r[1]}")
def run(request, tmp_path):
    """(store URL of a copy of the committed store, its plan, the result's folder)."""
    db, study = request.param
    shutil.copyfile(db, tmp_path / "dse.db")  # the committed file stays untouched
    url = f"sqlite:///{tmp_path / 'dse.db'}"
    search = optuna.load_study(study_name=study, storage=Store(url).optuna)
    return url, AutoPlan(**search.user_attrs["auto_plan"]), db.parent


def test_the_plan_is_printed_before_the_first_trial(run):
    _, plan, folder = run
    log = (folder / "log.txt").read_text()
    assert plan.lines()[0] in log
    first = min(log.find(f"trial {' ' * k}0 ") for k in range(5) if f"trial {' ' * k}0 " in log)
    assert log.index(plan.lines()[0]) < first


def test_the_only_enqueued_search_trials_are_dse_s_own(run):
    url, plan, _ = run
    trials = optuna.load_study(study_name=plan.study, storage=Store(url).optuna).trials
    enqueued = [t for t in trials if "fixed_params" in t.system_attrs]
    start = [t for t in enqueued if "baseline" not in t.user_attrs]
    assert all(t.user_attrs["baseline"] == plan.baseline for t in enqueued
               if "baseline" in t.user_attrs)
    assert [t.number for t in start] == list(range(len(start)))  # before any sampled trial
    space = REPO / plan.space if (REPO / plan.space).is_file() else plan.space
    params = [t.system_attrs["fixed_params"] for t in start]
    assert any(feasible_candidates(load_space(space), len(start), seed) == params
               for seed in range(plan.workers))  # the feasible start of one worker's seed


def test_the_ladder_trains_the_rule_s_picks_and_the_final_stage_its_finalists(run):
    url, plan, folder = run
    storage = Store(url).optuna
    if plan.ladder_study not in optuna.get_all_study_names(storage):
        pytest.skip("the run has not reached its ladder")
    search = {t.number: t for t in optuna.load_study(study_name=plan.study,
                                                     storage=storage).trials}
    ladder = optuna.load_study(study_name=plan.ladder_study, storage=storage)
    if "auto_picks" not in ladder.user_attrs:
        pytest.skip("the run is choosing its ladder's picks")
    picks = ladder.user_attrs["auto_picks"]
    assert picks == ladder_order(load_study_frame(plan.study, url), plan)
    for t in ladder.trials:  # each a pick, with its search trial's parameters
        assert t.user_attrs["from_trial"] in picks
        assert t.system_attrs["fixed_params"] == search[t.user_attrs["from_trial"]].params
    autos = list(folder.glob(f"studies/{plan.study}/auto/auto.json"))
    if not autos:
        pytest.skip("the run has not reached its verdict")
    chosen = finalists(load_study_frame(plan.ladder_study, url), plan)
    assert json.loads(autos[0].read_text())["finalists"] == chosen
    confirmed = {(c.number, c.candidate["model"].get("name")) for c in
                 Store(url).confirmations(plan.ladder_study)}
    assert {n for n, _ in confirmed if n >= 0} == set(chosen)
    assert {name for n, name in confirmed if n < 0} == {plan.baseline}

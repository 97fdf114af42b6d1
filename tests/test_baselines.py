"""Study baselines (the papers' variants as trials) and redrawing of infeasible proposals."""

from __future__ import annotations

import textwrap
import warnings

import optuna
import pytest

from dse.constraints import Constraint
from dse.errors import ConfigError
from dse.report.data import load_study_frame, origin
from dse.search.baselines import baseline_params, enqueue_baselines
from dse.search.candidate import sample
from dse.search.feasible import ArchCheck, FeasibleSampler, make_sampler
from dse.search.space import load_space
from dse.search.warmstart import FEASIBLE_START
from tests.test_study import dse

warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def test_variants_the_space_can_express_become_parameters():
    space = load_space("hps_cifar10")
    params, why = baseline_params(space, "hps-08-0.5x")
    assert why == ""
    cand = sample(space, optuna.trial.FixedTrial(params))
    assert cand.model["blocks"] == [1, 2, 2, 1]  # width 0.5 as channels:
    assert cand.model["stage_channels"] == [16, 32, 64, 128]
    assert (cand.model["stem_channels"], cand.model["head_channels"]) == (32, 64)
    assert cand.train["optimizer"] == "sgd" and cand.train["lr"] == 0.1
    assert cand.train["schedule"] == "cosine" and cand.train["batch_size"] == 128
    params, why = baseline_params(space, "hps-06-0.4x")  # 25 channels are not a choice
    assert params is None and "stage_channels2=25" in why
    space = load_space("hps_paperdims_cifar10")  # the papers' dimensions: a width
    params, why = baseline_params(space, "hps-08-0.5x")
    assert sample(space, optuna.trial.FixedTrial(params)).model["width"] == 0.5
    params, why = baseline_params(space, "hps-06-0.4x")  # width 0.4 is not a choice
    assert params is None and "width" in why


def test_a_fixed_recipe_that_differs_is_not_called_a_baseline(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent("""
        name: t
        study: t
        model: {family: hps, blocks: [1, 1, {int: [1, 4]}, 1], width: {choices: [0.5, 1.0]}}
        training: {optimizer: {adam: {lr: 0.001}}}
        baselines: [hps-06-0.5x]
        fidelities: {proxy: {epochs: 1}}
    """))
    params, why = baseline_params(load_space(str(path)), "hps-06-0.5x")
    assert params is None and "optimizer" in why


def test_unknown_baseline_names_are_refused_at_load_time(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: t\nstudy: t\nbaselines: [hps-99-9x]\nmodel: {family: hps}\n"
                    "fidelities: {proxy: {epochs: 1}}\n")
    with pytest.raises(ConfigError, match="hps-99-9x"):
        load_space(str(path))
    path.write_text("name: t\nstudy: t\nbaselines: [hps-09-0.5x]\nmodel: {family: hps}\n"
                    "fidelities: {proxy: {epochs: 1}}\n")  # a CIFAR-100 model of the papers
    with pytest.raises(ConfigError, match="another data set"):
        load_space(str(path))


def test_baselines_that_break_a_constraint_are_skipped_and_not_enqueued_twice():
    space = load_space("hps_cifar10").model_copy(update={
        "constraints": [Constraint.parse("size_mb <= 0.5")]})
    study = optuna.create_study(directions=space.directions)
    done = dict(enqueue_baselines(space, study, space.baselines))
    assert done["hps-06-0.5x"] == "enqueued"
    assert done["hps-06-1x"].startswith("skipped")  # 1.2 MB
    again = dict(enqueue_baselines(space, study, space.baselines))
    assert again["hps-06-0.5x"] == "already in the study"
    waiting = [t for t in study.trials if t.state.name == "WAITING"]
    assert {t.user_attrs["baseline"] for t in waiting} == {n for n, w in done.items()
                                                           if w == "enqueued"}


def _rejected(space, sampler, trials: int) -> int:
    check = ArchCheck(space)
    study = optuna.create_study(directions=space.directions, sampler=sampler)
    bad = 0
    for i in range(trials):
        trial = study.ask()
        cand = sample(space, trial)
        ok = check.feasible(cand.model)
        trial.set_constraint("size", 0.0 if ok else 1.0)
        bad += not ok
        study.tell(trial, [0.1 + 0.01 * i, 0.3, 1.0] if ok else [0.0, 1.0, 1.0])
    return bad


def test_redrawing_spends_fewer_trials_on_candidates_a_constraint_rejects():
    space = load_space("hps_cifar10").model_copy(update={
        "constraints": [Constraint.parse("size_mb <= 0.6")]})
    wrapped = make_sampler(space, 0)
    assert isinstance(wrapped, FeasibleSampler)
    plain = _rejected(space, make_sampler(space, 0).inner, 40)
    redrawn = _rejected(space, wrapped, 40)
    assert wrapped.redrawn > 0
    assert redrawn < plain


def test_a_smoke_study_trains_its_baselines_and_shows_them(tmp_path, data_dir):
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent("""
        name: t
        study: t
        model: {family: hps, blocks: [1, 1, {int: [1, 4]}, 1], width: {choices: [0.5, 1.0]}}
        baselines: [hps-06-0.5x]
        fidelities: {proxy: {epochs: 1, train_images: 200, val_images: 100,
                             latency_repeats: 2}}
    """))
    r = dse("run", "--space", str(path), "--trials", "2", "--device", "cpu",
            "--data-dir", str(data_dir), "--log-format", "plain", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "hps-06-0.5x enqueued" in r.stdout
    study = optuna.load_study(study_name="t", storage=f"sqlite:///{tmp_path}/studies/dse.db")
    tagged = [t for t in study.trials if t.user_attrs.get("baseline") == "hps-06-0.5x"]
    assert len(tagged) == 1 and tagged[0].state.name == "COMPLETE"
    r = dse("show", "--study", "t", "--trial", str(tagged[0].number), cwd=tmp_path)
    assert r.returncode == 0 and "baseline hps-06-0.5x" in r.stdout
    # confirmed, it is listed as the papers' model, beside the published figures
    r = dse("confirm", "--study", "t", "--trials", str(tagged[0].number), "--epochs", "1",
            "--train-images", "200", "--device", "cpu", "--data-dir", str(data_dir),
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = dse("frontier", "--study", "t", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (f"| `hps-06-0.5x` | papers' model, a baseline trial of the study | `t` / "
            f"{tagged[0].number} |") in r.stdout and "| 0.370 |" in r.stdout
    # studies in different stores go on one page: --storage once per --study
    import sqlite3

    src = sqlite3.connect(tmp_path / "studies" / "dse.db")
    dst = sqlite3.connect(tmp_path / "other.db")
    src.backup(dst)
    src.close()
    dst.close()
    main, other = f"sqlite:///{tmp_path}/studies/dse.db", f"sqlite:///{tmp_path}/other.db"
    r = dse("frontier", "--study", "t", "--storage", main, "--study", "t", "--storage", other,
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("papers' model, a baseline trial of the study") == 2
    r = dse("frontier", "--study", "t", "--study", "t", "--study", "t", "--storage", main,
            "--storage", other, cwd=tmp_path)
    assert r.returncode == 2 and "once per --study" in r.stderr
    r = dse("run", "--space", str(path), "--trials", "1", "--device", "cpu", "--no-baselines",
            "--data-dir", str(data_dir), "--log-format", "plain", cwd=tmp_path)
    assert r.returncode == 0 and "baselines" not in r.stdout


RACE = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from dse.search.space import load_space
    from dse.search.study import prepare_study
    from dse.constraints import Constraint
    space = load_space("hps_cifar10").model_copy(update={
        "constraints": [Constraint.parse("size_mb <= 0.5")]})
    tmp, me = Path(sys.argv[1]), sys.argv[2]
    (tmp / f"ready-{me}").touch()
    while not (tmp / "go").exists():
        time.sleep(0.005)
    prepare_study(space, "race", f"sqlite:///{tmp}/dse.db", None, "smoke", 0, sys.argv[3])
""")


def test_workers_starting_together_enqueue_the_start_and_baselines_once(tmp_path, data_dir):
    """Four processes prepare one study at the same moment: one feasible start, each
    baseline once (the check-then-enqueue holds the store's lock)."""
    import subprocess
    import sys
    import time

    procs = [subprocess.Popen([sys.executable, "-c", RACE, str(tmp_path), str(i),
                               str(data_dir)], stderr=subprocess.PIPE, text=True)
             for i in range(4)]
    t0 = time.monotonic()
    while len(list(tmp_path.glob("ready-*"))) < 4 and time.monotonic() - t0 < 120:
        time.sleep(0.05)
    (tmp_path / "go").touch()
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read()
    study = optuna.load_study(study_name="race", storage=f"sqlite:///{tmp_path}/dse.db")
    names = [t.user_attrs.get("baseline") for t in study.trials]
    baselines = [n for n in names if n]
    assert baselines and len(baselines) == len(set(baselines)), baselines
    from dse.search.samplers import first_generation  # what the space's sampler asks for

    space = load_space("hps_cifar10").model_copy(update={
        "constraints": [Constraint.parse("size_mb <= 0.5")]})
    assert names.count(None) == first_generation(space, None)  # one feasible start, not four
    frame = load_study_frame("race", f"sqlite:///{tmp_path}/dse.db")
    assert set(frame["origin"]) == {"baseline", "feasible start"}  # marked as dse's own
    assert list(frame["origin"] == "baseline") == [bool(n) for n in names]


def test_a_trial_s_origin_tells_dse_s_own_from_hand_enqueued_and_sampled():
    def made(user=None, system=None):
        return origin(optuna.trial.create_trial(value=1.0, user_attrs=user or {},
                                                system_attrs=system or {}))

    fixed = {"fixed_params": {"width": 0.5}}
    assert made({"baseline": "hps-06-0.5x"}, fixed) == "baseline"
    assert made({"origin": FEASIBLE_START}, fixed) == "feasible start"
    assert made({"from_trial": 28}, fixed) == "trial 28"
    assert made({}, fixed) == "enqueued"  # by hand (or a start stored before the marker)
    assert made({}, {**fixed, "failed_trial": 3}) == "enqueued"  # a hand one, run again
    assert made({}, {"failed_trial": 3}) == "retry of trial 3"
    assert made() == "sampled"

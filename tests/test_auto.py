"""`dse auto`: one budgeted command from a space to a compared, exported model; its plan is
stored before the first trial and a second run continues from the store."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
import time

import optuna
import pytest

SPACE = textwrap.dedent("""
    name: tiny
    study: tiny
    objectives: [accuracy, size_mb]
    model:
      family: hps
      blocks: [1, 1, {int: [1, 2]}, 1]
      width: {choices: [0.25, 0.5]}
      stem_stride: 2
    fidelities:
      proxy: {epochs: 3, train_images: 4000, val_images: 300, latency_repeats: 2}
""")


def dse(*args, cwd):
    env = {**os.environ, "COLUMNS": "200", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "dse.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env=env)


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path):
    (tmp_path / "tiny.yaml").write_text(SPACE)
    r = dse("auto", "--space", "tiny.yaml", "--budget", "2h", "--baseline", "hps-06-0.5x",
            "--workers", "2", "--dry-run", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "dse auto plan for tiny.yaml" in r.stdout and "1. search 1.00 h" in r.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.yaml"]  # no store, no folder


def test_auto_searches_picks_by_rule_confirms_compares_and_exports(data_dir, tmp_path):
    (tmp_path / "tiny.yaml").write_text(SPACE)
    args = ["auto", "--space", "tiny.yaml", "--budget", "80s", "--baseline", "hps-06-0.5x",
            "--per-bin", "1", "--ladder-epochs", "3", "--ladder-images", "4000",
            "--final-epochs", "2", "--final-images", "1500", "--seeds", "2", "--device", "cpu",
            "--workers", "2", "--search-trials", "4",
            "--data-dir", str(data_dir)]
    r = dse(*args, cwd=tmp_path)
    assert r.returncode == 0, r.stderr + r.stdout
    assert r.stdout.index("dse auto plan") < r.stdout.index("trial")  # the plan comes first
    finals = 2 * (1 + len(json.loads((tmp_path / "studies" / "tiny" / "auto" / "auto.json"
                                      ).read_text())["finalists"]))
    assert f"final: {finals} runs shared out over 2 single-threaded processes" in r.stdout
    assert f"final: {finals}/{finals} runs stored" in r.stdout  # progress as runs end
    assert "confirmed on the whole training set" not in r.stdout  # no table per run
    out = json.loads((tmp_path / "studies" / "tiny" / "auto" / "auto.json").read_text())
    assert 1 <= len(out["finalists"]) <= 2 and out["exported"] == out["finalists"][0]
    for s in out["comparisons"]:
        assert s["p_one_sided"] <= s["p_one_sided_holm"] <= 1 and isinstance(s["won"], bool)
    assert (tmp_path / "studies" / "tiny" / "auto" / f"trial-{out['exported']}.int8.onnx"
            ).is_file()
    words = (tmp_path / "studies" / "tiny" / "auto" / "auto.md").read_text()
    for s in out["comparisons"]:  # the words say what the figures say
        verdict = "**won**" if s["won"] else "did not win"
        assert f"trial {s['trial']} of tiny-ladder {verdict} against hps-06-0.5x" in words
    onnx = out["card"]["float32"]["test_accuracy"]  # measured in onnxruntime at export
    assert f"{onnx:.2%} (float32)" in words and "in onnxruntime" in words
    report = tmp_path / "studies" / "tiny" / "auto" / "report"
    page = (report / "auto.html").read_text()
    for s in out["comparisons"]:  # the page says the same, and links the ladder's report
        verdict = "<b>won</b>: trial" if s["won"] else "not won: trial"
        assert f"{verdict} {s['trial']} of tiny-ladder" in page
    assert (report / "index.html").is_file() and 'href="index.html"' in page
    trials = [a for t in out["finalists"] for a in ("--trial", str(t))]
    r = dse("compare", "--study", "tiny-ladder", *trials, "--baseline", "hps-06-0.5x",
            "--epochs", "2", "--train-images", "1500", "--no-latency", "--out", "c.json",
            cwd=tmp_path)  # dse compare reproduces the figures from the store
    assert r.returncode == 0, r.stderr
    again = json.loads((tmp_path / "c.json").read_text())
    again = again if isinstance(again, list) else [again]
    for s, c in zip(out["comparisons"], again, strict=True):
        assert c["p_one_sided"] == pytest.approx(s["p_one_sided"])
        assert c.get("p_one_sided_holm", c["p_one_sided"]) == pytest.approx(
            s["p_one_sided_holm"])
    storage = f"sqlite:///{tmp_path / 'studies' / 'dse.db'}"
    search = optuna.load_study(study_name="tiny", storage=storage)
    assert search.user_attrs["auto_plan"]["baseline"] == "hps-06-0.5x"
    assert len(search.trials) <= 4  # the search ended at --search-trials
    ladder = optuna.load_study(study_name="tiny-ladder", storage=storage)
    picks = ladder.user_attrs["auto_picks"]
    assert [t.user_attrs.get("from_trial") for t in ladder.trials][:len(picks)] == picks
    again = dse(*args, cwd=tmp_path)  # continues: every stage is done
    assert again.returncode == 0, again.stderr
    assert "search: its 4 trials are done" in again.stdout or (
        "search: its" in again.stdout and "are spent" in again.stdout)
    other = dse(*[a if a != "80s" else "81s" for a in args], cwd=tmp_path)
    assert other.returncode == 2 and "another plan" in other.stderr


def test_a_bound_relative_to_a_model_is_that_models_value_times_the_factor():
    import pytest

    from dse import metrics
    from dse.constraints import Constraint
    from dse.models import create
    from dse.search.space import SearchSpace
    size = metrics.measure_one(metrics.get_metric("size_mb"), create("hps-06-0.5x"),
                               metrics.MeasureContext(3))["size_mb"]
    c = Constraint.parse("size_mb <= 1.5x hps-06-0.5x")
    assert c.bound == pytest.approx(1.5 * size, rel=1e-3)
    assert str(c) == "size_mb <= 1.5x hps-06-0.5x"
    for bad, needle in (("accuracy >= 1x hps-06-0.5x", "architecture metric"),
                        ("size_mb <= bx hps-06-0.5x", "not a factor"),
                        ("size_mb <= 1x resnet-50", "not a registered model"),
                        ("size_mb <= -1x hps-06-0.5x", "positive")):
        with pytest.raises(ValueError, match=needle):
            Constraint.parse(bad)
    import yaml
    space = SearchSpace.model_validate({**yaml.safe_load(SPACE), "constraints": [
        "predicted_latency_ms <= 1.1x hps-06-0.5x"]})
    from dse.api.auto import latency_note
    note = latency_note(space)
    from dse import hardware
    from dse.deploy.latency_model import active_profile
    fitted = active_profile().data["cpu"]
    assert (note is None) == (fitted.lower() in hardware.cpu_name().lower())
    if note:
        assert fitted in note and "dse latency-model profile" in note


def test_the_ladder_is_sized_from_the_calibrated_kendall():
    """Weaker ranks send more of a bin to the ladder; a perfect rank sends one; the plan
    reads the calibration's Kendall within the better half, and `per_bin` overrides it."""
    import yaml

    from dse.api.auto_plan import calibrated_tau, ladder_size, make_plan
    from dse.search.space import SearchSpace
    sizes = [ladder_size(t, 30) for t in (0.0, 0.24, 0.47, 0.7, 1.0)]
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] == 1 and sizes[0] >= 20
    assert ladder_size(0.5, 1) == 1 and ladder_size(-0.3, 12) <= 12
    summary = {"fidelities": {"proxy": {"signals": {"last_val_acc": {
        "better_half": {"kendall": 0.47}}}}}}
    assert calibrated_tau(summary, "proxy") == 0.47 and calibrated_tau(summary, "x") is None
    assert calibrated_tau({"fidelities": {"proxy": {"signals": {"last_val_acc": {
        "better_half": {"kendall": float("nan")}}}}}}, "proxy") is None
    space = SearchSpace.model_validate(yaml.safe_load(SPACE))
    plan = make_plan(space, "tiny.yaml", 3600, 1, baseline="hps-06-0.5x",
                     calibration=summary)
    assert plan.ladder_tau == 0.47 and plan.bin_picks(30) == ladder_size(0.47, 30)
    assert "Kendall 0.47" in "\n".join(plan.lines())
    fixed = make_plan(space, "tiny.yaml", 3600, 1, baseline="hps-06-0.5x",
                      calibration=summary, per_bin=5)
    assert fixed.bin_picks(30) == 5
    assert make_plan(space, "tiny.yaml", 3600, 1, baseline="hps-06-0.5x").bin_picks(30) == 8
    from dse.search.space import load_space
    oneshot = make_plan(load_space("hps_oneshot_cifar10"), "hps_oneshot_cifar10", 3600, 1,
                        fidelity="oneshot")
    assert oneshot.search_trials == 500 and plan.search_trials is None


def test_a_stage_writes_its_time_while_it_runs(tmp_path, monkeypatch):
    """A stage killed without a chance to clean up (kill -9, the machine's time ending)
    has still written most of the time it used, so the same command continued later gets
    only what is left of the stage."""
    auto_module = importlib.import_module("dse.api.auto")  # the module, not the function

    monkeypatch.setattr(auto_module, "RECORD_EVERY_S", 0.2)
    study = optuna.create_study(storage=f"sqlite:///{tmp_path}/s.db", study_name="t")
    seen = []

    def work(left):
        assert left == pytest.approx(100.0)
        time.sleep(1.0)
        seen.append(optuna.load_study(study_name="t", storage=f"sqlite:///{tmp_path}/s.db")
                    .user_attrs.get("auto_search_s", 0.0))

    auto_module._timed(study, "search", 100.0, print, work)
    final = study.user_attrs["auto_search_s"]
    assert final >= 1.0 and 0.5 <= seen[0] <= final  # written during the stage, then at its end
    left = []
    auto_module._timed(study, "search", final + 10, print, left.append)
    assert left == [pytest.approx(10.0)]  # continued: what is left, not the whole budget


def test_profile_latency_fits_a_profile_once_and_uses_it(tmp_path, monkeypatch):
    """`--profile-latency`: a profile fitted here from the space's networks becomes the
    active one (for this process and the workers it starts), its time counts in the
    search's, and a continued run uses the same file."""
    from dse.api.auto_latency import fit_profile
    from dse.api.auto_plan import AutoPlan
    from dse.deploy.latency_model import active_profile
    from dse.search.space import load_space

    monkeypatch.delenv("DSE_LATENCY_PROFILE", raising=False)
    monkeypatch.setattr(os, "environ", dict(os.environ))  # the fit sets it: undone after
    plan = AutoPlan(space="hps_oneshot_cifar10", study="t", budget_s=3600, workers=1,
                    search_fidelity="oneshot", search_s=1800, ladder_s=720,
                    baseline="hps-06-0.5x", profile_latency=5)
    study = optuna.create_study(storage=f"sqlite:///{tmp_path}/s.db", study_name="t")
    said = []
    path = fit_profile(plan, load_space(plan.space), tmp_path / "auto", study, said.append)
    assert path.is_file() and os.environ["DSE_LATENCY_PROFILE"] == str(path.resolve())
    assert json.loads(path.read_text())["fit"]["networks"] == 5
    assert active_profile().data["cpu"] == json.loads(path.read_text())["cpu"]
    assert study.user_attrs["auto_search_s"] > 0 and "fitted in" in said[-1]
    mtime = path.stat().st_mtime
    fit_profile(plan, load_space(plan.space), tmp_path / "auto", study, said.append)
    assert path.stat().st_mtime == mtime and "at the start" in said[-1]


def test_status_says_where_a_run_stands_and_changes_nothing(tmp_path):
    """`--status`: the stored plan, each stage's time used and trials, the verdict; a study
    dse auto did not start is refused in one paragraph."""
    from dse import api
    from dse.store import Store

    (tmp_path / "tiny.yaml").write_text(SPACE)
    args = ["auto", "--space", "tiny.yaml", "--budget", "2h", "--baseline", "hps-06-0.5x",
            "--storage", f"sqlite:///{tmp_path}/s.db", "--status"]
    r = dse(*args, cwd=tmp_path)
    assert r.returncode == 2 and "no study store" in r.stderr, r.stderr  # no store at all
    url = f"sqlite:///{tmp_path}/s.db"
    Store(url)  # a dse store holding one study that dse auto did not start
    optuna.create_study(study_name="plain", storage=url)
    r = dse(*args, cwd=tmp_path)
    assert r.returncode == 0 and "has not started" in r.stdout, r.stderr
    plan = api.auto(str(tmp_path / "tiny.yaml"), 7200.0, baseline="hps-06-0.5x",
                    dry_run=True, say=lambda m: None)["plan"]
    search = optuna.create_study(study_name="tiny", storage=url,
                                 directions=["maximize", "minimize"])
    search.set_user_attr("auto_plan", plan)
    search.set_user_attr("auto_search_s", 1800.0)
    for state, values in [("COMPLETE", [0.5, 0.1]), ("COMPLETE", [0.6, 0.2]), ("PRUNED", None)]:
        search.add_trial(optuna.trial.create_trial(
            state=optuna.trial.TrialState[state], values=values))
    before = (tmp_path / "s.db").read_bytes()
    r = dse(*args, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "search: 0.50 h of 1.00 h used; trials 2 complete, 1 pruned" in r.stdout, r.stdout
    assert "ladder: not reached" in r.stdout and "dse auto plan for" in r.stdout
    assert (tmp_path / "s.db").read_bytes() == before  # nothing written
    ladder = optuna.create_study(study_name="tiny-ladder", storage=url,
                                 directions=["maximize", "minimize"])
    ladder.set_user_attr("auto_picks", [0, 1])
    folder = tmp_path / "studies" / "tiny" / "auto"
    folder.mkdir(parents=True)
    (folder / "auto.json").write_text(json.dumps({"comparisons": [
        {"trial": 0, "won": True, "p_one_sided_holm": 0.0123}]}))
    r = dse(*args, cwd=tmp_path)
    assert "ladder: 0.00 h of 0.90 h used; 2 picks, trials none yet" in r.stdout, r.stdout
    assert "verdict: trial 0 won (Holm-adjusted p = 0.0123)" in r.stdout, r.stdout
    r = dse(*args, "--study", "plain", cwd=tmp_path)
    assert r.returncode == 2 and "was not started by dse auto" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr

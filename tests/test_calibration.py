"""Fidelity calibration: the statistics on known values, and a real calibration on
CIFAR-10 at tiny budgets, interrupted and resumed without repeating work."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from dse.calibration import rank_stats, signals, size_bins
from dse.report.calibration import markdown


def test_rank_statistics_on_known_values():
    same = rank_stats([1, 2, 3, 4, 5], [10, 20, 30, 40, 50], boot=200)
    assert same["kendall"] == pytest.approx(1.0) and same["spearman"] == pytest.approx(1.0)
    assert same["kendall_ci"] == pytest.approx([1.0, 1.0])
    rev = rank_stats([1, 2, 3, 4, 5], [5, 4, 3, 2, 1], boot=0)
    assert rev["kendall"] == pytest.approx(-1.0) and rev["spearman"] == pytest.approx(-1.0)
    assert all(math.isnan(v) for v in rev["kendall_ci"])  # no resampling asked for
    one_swap = rank_stats([1, 2, 3, 4], [1, 3, 2, 4], boot=0)  # 5 concordant, 1 discordant
    assert one_swap["kendall"] == pytest.approx(4 / 6) and one_swap["spearman"] == \
        pytest.approx(0.8)
    wide = rank_stats([1, 2, 3, 4, 5, 6], [2, 1, 4, 3, 6, 5], boot=500)
    lo, hi = wide["kendall_ci"]
    assert -1 <= lo < wide["kendall"] < hi <= 1  # resampling six points is uncertain
    assert math.isnan(rank_stats([1, 2], [2, 1])["kendall"])


def test_signals_of_a_curve():
    history = [{"val_acc": 0.3, "train_loss": 2.0}, {"val_acc": 0.45, "train_loss": 1.5},
               {"val_acc": 0.5, "train_loss": 1.3}, {"val_acc": 0.4, "train_loss": 1.2}]
    s = signals(history, 1234)
    assert s["last_val_acc"] == 0.4 and s["best_val_acc"] == 0.5 and s["params"] == 1234
    assert s["neg_train_loss_sum"] == pytest.approx(-6.0)
    exact = [{"val_acc": 0.8 - 0.4 / e, "train_loss": 1.0} for e in (1, 2, 3, 4)]
    assert signals(exact, 1)["extrapolated"] == pytest.approx(0.8)  # a + b / epoch
    assert size_bins([5, 1, 4, 2, 3, 6]) == [[1, 3], [4, 2], [0, 5]]


SPACE = textwrap.dedent("""
    name: cal_test
    study: calt
    objectives: [accuracy, size_mb]
    sampler: random
    model:
      family: hps
      blocks: [1, {int: [1, 3]}, 1, 1]
      stage_channels: [{choices: [8, 16]}, {choices: [16, 32]}, 32, 64]
      conv3: {choices: [sep, dw3]}
    training:
      optimizer: {sgd: {lr: 0.05, momentum: 0.9}}
      batch_size: 64
    fidelities:
      tiny: {epochs: 2, train_images: 400, val_images: 200,
             scheduler: {halving: {min_epochs: 1, eta: 2}}}
    default_fidelity: tiny
""")


@pytest.mark.slow
def test_calibration_is_interrupted_and_resumed_without_repeating_work(tmp_path, data_dir):
    (tmp_path / "s.yaml").write_text(SPACE)
    args = [sys.executable, "-m", "dse.cli", "fidelity", "check", "--space", "s.yaml",
            "--fidelity", "tiny", "--reference-epochs", "3", "--reference-images", "1500",
            "--sample", "4", "--constraint", "size_mb <= 0.2", "--device", "cpu",
            "--data-dir", str(data_dir)]
    proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT,
                                                                       signal.SIG_DFL))
    runs = tmp_path / "calibrations" / "calt" / "runs"
    t0 = time.monotonic()
    while not (runs / "c001-reference" / "resume.pt").exists():  # inside a reference run
        assert proc.poll() is None and time.monotonic() - t0 < 300, proc.communicate()
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, (out, err)
    done = {p.parent.name: p.stat().st_mtime_ns for p in runs.glob("*/result.json")}
    assert set(done) == {"c000-tiny", "c000-reference", "c001-tiny"}

    one_thread = {**os.environ, "OMP_NUM_THREADS": "1"}  # one core each, as users run it
    shards = [subprocess.Popen([*args, "--shard", f"{i}/2"], cwd=tmp_path, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=one_thread)
              for i in (1, 2)]  # two processes share the folder, as on two cores
    (out1, err1), (out2, err2) = (p.communicate(timeout=600) for p in shards)
    assert [p.returncode for p in shards] == [0, 0], (err1, err2)
    assert "continuing at epoch" in out2 and "candidate 1 at" not in out1
    assert "2 runs trained now" in err1 and "3 runs trained now" in err2  # c002; c001, c003
    for name, mtime in done.items():  # nothing trained twice
        assert (runs / name / "result.json").stat().st_mtime_ns == mtime
    summary = json.loads((tmp_path / "calibrations" / "calt" / "summary.json").read_text())
    assert summary["references_done"] == 4
    tiny = summary["fidelities"]["tiny"]
    assert set(tiny["signals"]) >= {"last_val_acc", "neg_train_loss_sum", "params"}
    assert 0 < tiny["cost_vs_reference"] < 1
    rec = summary["recommended"]  # a setting that was rated, within 0.1 of the best
    assert rec["setting"] in summary["fidelities"] and rec["kendall"] >= rec["best_kendall"] - 0.1
    rung = summary["fidelities"]["tiny@1"]  # the curve up to halving's rung: half the cost
    assert rung["train_images"] == pytest.approx(tiny["train_images"] / 2)
    plan = json.loads((tmp_path / "calibrations" / "calt" / "plan.json").read_text())
    from dse import models

    assert all(models.build(c["model"]) for c in plan["candidates"])
    assert not list(runs.glob("*/resume.pt")) and not list(runs.glob("*/checkpoint.pt"))

    r = subprocess.run([sys.executable, "-m", "dse.cli", "space", "show", "s.yaml"],
                       cwd=tmp_path, capture_output=True, text=True, env={**os.environ})
    assert "against 3 epochs on 1500 training images" in r.stdout, r.stdout
    assert "calibrations/calt" in r.stdout and "size_mb <=" in r.stdout, r.stdout
    assert f"recommended: {summary['recommended']['setting']}" in r.stdout, r.stdout
    r = subprocess.run([*args[:-4], "--sample", "5"], cwd=tmp_path, capture_output=True,
                       text=True)  # other options into the same folder: refused
    assert r.returncode == 2 and "other sample" in r.stderr
    r = subprocess.run([*args, "--shard", "3/2"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 2 and "is not I/N" in r.stderr and "Traceback" not in r.stderr


def test_the_recommended_setting_is_the_cheapest_within_a_tenth_of_the_best():
    from dse.calibration import recommend

    def f(kendall: float, images: int) -> dict:
        return {"best_signal": "s", "signals": {"s": {"kendall": kendall}},
                "train_images": images, "cost_vs_reference": images / 1000}

    fids = {"proxy": f(0.70, 360), "proxy@8": f(0.62, 160), "screen": f(0.30, 40),
            "quick": f(float("nan"), 12)}
    rec = recommend(fids)
    assert rec["setting"] == "proxy@8" and rec["best_kendall"] == 0.70
    fids["proxy@8"] = f(0.59, 160)  # 0.11 behind: the full proxy it is
    assert recommend(fids)["setting"] == "proxy"
    assert recommend({"quick": f(float("nan"), 12)}) is None


def test_summary_table_shows_undefined_correlations_as_dashes():
    nan = float("nan")
    stats = {"kendall": 0.5, "kendall_ci": [nan, nan], "spearman": 0.6,
             "spearman_ci": [0.1, 0.9], "kendall_within_bins": nan}
    summary = {"space": "s", "sample": 20, "references_done": 4,
               "reference": {"epochs": 15, "train_images": None, "split": "test"},
               "fidelities": {"quick": {"train_images": 12000, "cost_vs_reference": 0.016,
                                        "train_s": 10, "reference_train_s": 590,
                                        "best_signal": "last_val_acc",
                                        "signals": {"last_val_acc": stats}}}}
    text = markdown(summary)
    assert "nan" not in text
    assert "| last_val_acc | 0.50 [-, -] | 0.60 [0.10, 0.90] | - |" in text
    assert "4 of 20 candidates done" in text

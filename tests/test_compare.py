"""`dse compare`: the statistics on known values, and the command on a real store."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings

import pytest
import torch

from dse.confirmed import bonferroni, compare, holm
from dse.models import create
from dse.records import Candidate, Status
from dse.store import Store
from dse.store.claims import claim
from dse.train import save_weights


def test_the_statistics_on_known_values():
    a, b = [0.80, 0.81, 0.82], [0.70, 0.71, 0.72]
    s = compare(a, b)
    assert s["mean"] == pytest.approx([0.81, 0.71]) and s["sd"] == pytest.approx([0.01, 0.01])
    assert s["pooled_sd"] == pytest.approx(0.01) and s["ahead_by_twice_pooled_sd"]
    # Welch: t = 0.10 / sqrt(0.01^2/3 + 0.01^2/3) = 12.247, df = 4 (equal variances and n)
    assert s["welch_t"] == pytest.approx(0.10 / math.sqrt(2e-4 / 3))
    assert s["welch_df"] == pytest.approx(4.0)
    assert s["p_one_sided"] == pytest.approx(s["p_two_sided"] / 2) and s["p_one_sided"] < 1e-3
    assert s["difference_in_pooled_sd"] == pytest.approx(10.0)
    assert bonferroni(0.0295, 2) == pytest.approx(0.059) and bonferroni(0.6, 3) == 1.0
    # Holm: 0.01 x 3, then max(0.03, 0.02 x 2), then max(0.04, 0.04 x 1); order kept
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0]) and holm([]) == []
    with pytest.raises(ValueError):
        bonferroni(0.1, 0)
    with warnings.catch_warnings():  # scipy warns that identical samples lose precision
        warnings.simplefilter("ignore", RuntimeWarning)
        assert compare([0.8, 0.8], [0.7, 0.7])["difference_in_pooled_sd"] is None
    close = compare([0.72, 0.74, 0.73], [0.72, 0.71, 0.73])  # +1 point, pooled sd 1 point
    assert close["difference"] == pytest.approx(0.01)
    assert not close["ahead_by_twice_pooled_sd"] and close["p_one_sided"] > 0.05
    with pytest.raises(ValueError, match="two seeds"):
        compare([0.8], [0.7, 0.71])


def _confirm(store, number, model, accs, tmp_path, epochs=30):
    spec = {"name": model} if number < 0 else {"name": "hps", "blocks": [1, 1, 1, 1],
                                                "width": 0.5, "activation": "relu"}
    net = create(model if number < 0 else "hps-06-0.5x", num_classes=10)
    for seed, acc in enumerate(accs):
        rec = claim(store, "s", number, epochs, seed, Candidate(spec), {"cpu": "test"})
        path = save_weights(tmp_path / f"{number}-{seed}.pt", net, spec)
        store.finish_confirmation(rec.id, Status.COMPLETE, acc, [], str(path))


def test_compare_reads_the_store_and_times_both_side_by_side(tmp_path):
    torch.manual_seed(0)
    store = Store(f"sqlite:///{tmp_path}/dse.db")
    assert store.optuna is not None  # Optuna's tables too, as after `dse run`
    _confirm(store, 7, "hps", [0.80, 0.81, 0.82], tmp_path)
    _confirm(store, -1, "hps-06-0.5x", [0.70, 0.71, 0.72], tmp_path)
    _confirm(store, -1, "hps-06-0.5x", [0.60], tmp_path, epochs=60)  # one seed: not compared
    args = [sys.executable, "-m", "dse.cli", "compare", "--study", "s", "--trial", "7",
            "--baseline", "hps-06-0.5x", "--storage", f"sqlite:///{tmp_path}/dse.db",
            "--rounds", "1", "--out", str(tmp_path / "c.json")]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "30 epochs" in r.stdout and "+10.00 points" in r.stdout and "yes" in r.stdout
    assert "81.00 ± 1.00 %" in r.stdout and "80.00 81.00 82.00" in r.stdout  # as the docs write
    out = json.loads((tmp_path / "c.json").read_text())
    assert out["epochs"] == 30 and out["accuracies"]["7"] == [0.80, 0.81, 0.82]
    lat = out["latency"]  # the same architecture twice: a ratio near 1
    assert lat["rounds"] == 1 and 0.5 < lat["ratio"] < 2.0 and len(lat["ratios"]) == 1
    r = subprocess.run([*args[:9], "hps-23-1x", *args[10:]], capture_output=True, text=True)
    assert r.returncode == 2 and "no training length" in r.stderr and "Traceback" not in r.stderr
    # --seeds: the comparison as it stood before more seeds were added, recorded in the JSON
    r = subprocess.run([*args, "--seeds", "0,1", "--no-latency"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = json.loads((tmp_path / "c.json").read_text())
    assert out["seeds"] == [0, 1] and out["accuracies"]["hps-06-0.5x"] == [0.70, 0.71]
    assert out["difference"] == pytest.approx(0.10) and "latency" not in out
    assert "comparisons" not in out and "p_one_sided_adjusted" not in out
    # --comparisons: the one-sided p adjusted for every candidate tested against the baseline
    r = subprocess.run([*args, "--no-latency", "--comparisons", "3"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    out = json.loads((tmp_path / "c.json").read_text())
    assert out["comparisons"] == 3
    assert out["p_one_sided_adjusted"] == pytest.approx(min(1.0, 3 * out["p_one_sided"]))
    assert "10.00 pooled sds" in r.stdout and "adjusted for 3 comparisons" in r.stdout
    # several --trial: each tested, the p-values Holm-adjusted over them (as dse auto does)
    _confirm(store, 9, "hps", [0.72, 0.70, 0.74], tmp_path)
    r = subprocess.run([*args, "--trial", "9", "--no-latency"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    both = json.loads((tmp_path / "c.json").read_text())
    assert [c["trial"] for c in both] == [7, 9] and both[0]["holm_over"] == [7, 9]
    assert [c["p_one_sided_holm"] for c in both] == pytest.approx(
        holm([c["p_one_sided"] for c in both]))
    assert "Holm-adjusted over the 2 trials" in r.stdout
    r = subprocess.run([*args, "--trial", "9", "--comparisons", "2", "--no-latency"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "leave --comparisons out" in r.stderr
    for bad, says in (("2", "1 and 'hps-06-0.5x' 1 complete seeds of those --seeds names"),
                      ("0,x", "--seeds takes seeds")):
        r = subprocess.run([*args, "--seeds", bad, "--no-latency"], capture_output=True,
                           text=True)
        assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_compare_finds_the_checkpoints_again_in_a_moved_repository(tmp_path):
    """Stores record absolute checkpoint paths; a clone elsewhere still times both."""
    runs = tmp_path / "repo" / "results" / "s" / "confirm"
    runs.mkdir(parents=True)
    store = Store(f"sqlite:///{tmp_path}/repo/results/s/dse.db")
    assert store.optuna is not None  # Optuna's tables too, as after `dse run`
    _confirm(store, 7, "hps", [0.80, 0.81], runs)
    _confirm(store, -1, "hps-06-0.5x", [0.70, 0.71], runs)
    store.engine.dispose()
    (tmp_path / "repo").rename(tmp_path / "clone")
    args = [sys.executable, "-m", "dse.cli", "compare", "--study", "s", "--trial", "7",
            "--baseline", "hps-06-0.5x", "--storage", "sqlite:///results/s/dse.db",
            "--rounds", "1"]
    r = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path / "clone")
    assert r.returncode == 0, r.stderr
    assert "latency (onnxruntime" in r.stdout
    # a seed's checkpoint gone: another seed's is timed; all gone (they stayed on another
    # machine): the architecture with its initial weights, and the output says so
    (tmp_path / "clone/results/s/confirm/7-0.pt").unlink()
    r = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path / "clone")
    assert r.returncode == 0 and "initial weights" not in r.stdout, r.stderr
    (tmp_path / "clone/results/s/confirm/7-1.pt").unlink()
    r = subprocess.run([*args, "--out", "c.json"], capture_output=True, text=True,
                       cwd=tmp_path / "clone")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "trial 7 timed with its initial weights" in r.stdout, r.stdout
    lat = json.loads((tmp_path / "clone" / "c.json").read_text())["latency"]
    assert lat["weights"] == ["initial (its checkpoints are elsewhere)", "trained"]
    assert 0.5 < lat["ratio"] < 2.0  # the same architecture as the baseline

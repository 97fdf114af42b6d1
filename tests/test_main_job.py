"""The main job's own path at smoke size, with the options scripts/main.sh passes: `dse run
--timeout`, `dse confirm --top N --sample M` (the choice itself: the front's best, a trial
off the front, the seeds), `dse export --confirmed --int8`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from dse.store import Store

pytestmark = pytest.mark.slow

SPACE = textwrap.dedent("""
    name: main_job_test
    study: mj
    objectives: [accuracy, size_mb]
    sampler: random
    model:
      family: hps
      blocks: [1, 1, {int: [1, 4]}, 1]
      width: {choices: [0.5, 0.75, 1.0]}
    training:
      optimizer: {sgd: {lr: 0.05, momentum: 0.9}}
      batch_size: 64
    fidelities:
      smoke: {epochs: 2, train_images: 1500, val_images: 500, latency_repeats: 2}
    default_fidelity: smoke
""")


def dse(*args, cwd):
    return subprocess.run([sys.executable, "-m", "dse.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, "COLUMNS": "200"})


def _front(rows: list[dict]) -> list[dict]:
    """Non-dominated on (accuracy up, size down), computed here, independently of dse."""
    def dominates(a, b):
        return (a["accuracy"] >= b["accuracy"] and a["size_mb"] <= b["size_mb"]
                and (a["accuracy"] > b["accuracy"] or a["size_mb"] < b["size_mb"]))
    return [r for r in rows if not any(dominates(o, r) for o in rows if o is not r)]


def test_the_main_jobs_options_end_to_end(tmp_path, data_dir):
    (tmp_path / "s.yaml").write_text(SPACE)
    common = ["--device", "cpu", "--data-dir", str(data_dir), "--workers", "1"]
    r = dse("run", "--space", "s.yaml", "--trials", "5", *common, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    # --timeout: a duration, not a number of trials: it stops long before 50 trials
    r = dse("run", "--space", "s.yaml", "--trials", "50", "--timeout", "1s", *common,
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    store = Store(f"sqlite:///{tmp_path}/studies/dse.db", create=False)
    recs = store.trials("mj")
    # after the second, no trial starts (a reused candidate ends at once, so a few may)
    assert 6 <= len(recs) <= 12, len(recs)
    r = dse("run", "--space", "s.yaml", "--timeout", "90 seconds", cwd=tmp_path)
    assert r.returncode == 2 and "not a duration" in r.stderr

    measured = [t for t in recs if t.status in ("complete", "not learned")]
    rows = [{"trial": t.number, **t.measurements} for t in measured  # reused and not-learned
            if t.status == "complete" and t.reused_from is None]  # trials stay off the front
    front = sorted(_front(rows), key=lambda r: -r["accuracy"])
    off_front = {t.number for t in measured} - {r["trial"] for r in front}
    r = dse("confirm", "--study", "mj", "--top", "2", "--sample", "1", "--epochs", "1",
            "--train-images", "500", "--repeats", "2", "--device", "cpu", "--data-dir",
            str(data_dir), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    runs = store.confirmations("mj")
    by_trial: dict[int, set[int]] = {}
    for c in runs:
        by_trial.setdefault(c.number, set()).add(c.seed)
    top2 = {r["trial"] for r in front[:2]}
    assert top2 <= set(by_trial), (top2, by_trial)  # the front's two most accurate
    sampled = set(by_trial) - top2
    assert len(sampled) == min(1, len(off_front)) and sampled <= off_front  # one off the front
    assert all(seeds == {0, 1} for seeds in by_trial.values())  # --repeats 2: seeds 0 and 1

    r = dse("export", "--study", "mj", "--confirmed", "--int8", "--out", "best.onnx",
            "--data-dir", str(data_dir), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    card = json.loads((tmp_path / "best.onnx.card.json").read_text())
    assert (tmp_path / "best.int8.onnx").is_file() and "int8" in card
    best = max((t for t in by_trial), key=lambda t: sum(
        c.test_accuracy for c in runs if c.number == t) / 2)
    assert card["trial"] == best  # the best confirmed on the test set (mean over seeds)
    assert "dse confirm" in card["training"] and card["confirmed_test_accuracy"] is not None

"""The latency model: features of known networks, the fit on known costs, a tiny profile
made and validated by the CLI, and a study whose parallel workers use predicted latency."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from dse import measure, models
from dse.deploy import latency_model as lm


def dse(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "dse.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("spec", [
    {"name": "hps-06-0.5x"}, {"name": "sqnxt-23-1x"},
    {"name": "hps", "blocks": [1, 2, 1, 1], "stage_channels": [16, 24, 48, 96],
     "conv3": "dw5", "se": 0.25, "activation": "hardswish", "head_channels": 0}])
def test_features_count_every_multiply_accumulate(spec):
    model = models.build(spec)
    f = lm.features(model)
    macs = sum(v for k, v in f.items() if k.startswith("macs"))
    assert macs == measure.count_macs(model)


def test_batchnorm_after_the_activation_cannot_fold():
    hps = lm.features(models.create("hps-06-0.5x"))  # conv-act-bn
    folded = lm.features(models.create("hps-06-0.5x", order="conv-bn-act"))
    assert hps["bn_elems"] == hps["conv_out"] > 0 and folded["bn_elems"] == 0
    assert hps["ops"] - folded["ops"] == 26  # one BatchNorm node per convolution
    elu = lm.features(models.create("hps-06-0.5x", activation="elu"))
    assert elu["elu_elems"] > 0 and elu["ops"] > hps["ops"]  # ELU does not fuse


def test_fit_recovers_known_costs_and_predicts_deterministically():
    rng = np.random.default_rng(0)
    names = ["hps-06-0.5x", "hps-06-1x", "hps-08-0.5x", "sqnxt-23-1x", "hps-14-1x"]
    rows = [lm.features(models.create(n, **kw)) for n in names
            for kw in ({}, {"order": "conv-bn-act"}, {"activation": "elu"})]
    rows += [lm.features(models.create("hps", blocks=[1, b, 1, 1], width=0.5, conv3=c,
                                       se=s)) for b in (1, 3) for c in ("sep", "dw3", "full")
             for s in (0.0, 0.25)]
    true = rng.uniform(0.001, 0.05, len(lm.FEATURES) + 1)
    ms = [float(lm.vector(r) @ true) for r in rows]
    coef = lm.fit(rows, ms)
    pred = [float(lm.vector(r) @ coef) for r in rows]
    assert np.allclose(pred, ms, rtol=1e-6)
    profile = lm.Profile({"coefficients": coef.tolist(), "runtime": "x", "threads": 1,
                          "batch": 1})
    a, b = (profile.predict(models.create("hps-06-0.5x")) for _ in range(2))
    assert a == b == pytest.approx(pred[0], rel=1e-6)


def test_a_profile_of_the_wrong_shape_or_file_is_a_clear_error(tmp_path):
    from dse.errors import ConfigError

    with pytest.raises(ConfigError, match="other features"):
        lm.Profile({"coefficients": [1.0, 2.0], "runtime": "x", "threads": 1, "batch": 1})
    (tmp_path / "p.json").write_text("{not json")
    with pytest.raises(ConfigError, match="cannot be read"):
        lm.Profile.load(tmp_path / "p.json")


TINY = textwrap.dedent("""
    name: tiny_lat
    study: lat
    objectives: [accuracy, predicted_latency_ms]
    sampler: random
    model:
      family: hps
      blocks: [1, {int: [1, 3]}, 1, 1]
      stage_channels: [{choices: [8, 16]}, {choices: [16, 32]}, 32, 64]
      conv3: {choices: [sep, dw3]}
      order: {choices: [conv-act-bn, conv-bn-act]}
    training:
      optimizer: {sgd: {lr: 0.05, momentum: 0.9}}
      batch_size: 64
    fidelities:
      smoke: {epochs: 1, train_images: 256, val_images: 128, latency_repeats: 2}
    default_fidelity: smoke
""")


@pytest.mark.slow
def test_tiny_profile_made_validated_and_used_by_parallel_workers(tmp_path, data_dir):
    (tmp_path / "s.yaml").write_text(TINY)
    r = dse("latency-model", "profile", "--space", "s.yaml", "--count", "8", "--rounds", "1",
            "--out", "p.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    prof = json.loads((tmp_path / "p.json").read_text())
    assert prof["threads"] == 1 and prof["batch"] == 1 and len(prof["samples"]) == 8
    assert all(c >= 0 for c in prof["coefficients"])
    r = dse("latency-model", "validate", "--space", "s.yaml", "--count", "5", "--rounds", "1",
            "--profile", "p.json", "--out", "v.md", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    v = json.loads((tmp_path / "v.json").read_text())
    held = {json.dumps(x["spec"], sort_keys=True) for x in v["rows"]}
    assert len(held) == 5 and not held & {json.dumps(s["spec"], sort_keys=True)
                                          for s in prof["samples"]}  # held out
    assert -1 <= v["kendall"] <= 1 and "median |error|" in (tmp_path / "v.md").read_text()

    # several workers, predicted latency as an objective: auto keeps one worker per core
    r = dse("run", "--space", "s.yaml", "--trials", "4", "--workers", "2", "--device", "cpu",
            "--data-dir", str(data_dir), cwd=tmp_path,
            env={"DSE_LATENCY_PROFILE": str(tmp_path / "p.json")})
    assert r.returncode == 0, r.stderr
    from dse.store import Store

    recs = [x for x in Store(f"sqlite:///{tmp_path}/studies/dse.db").trials("lat")
            if x.measurements]
    assert len(recs) >= 3
    profile = lm.Profile.load(tmp_path / "p.json")
    for rec in recs:
        assert rec.measurements["predicted_latency_ms"] == pytest.approx(
            profile.predict(models.build(rec.candidate["model"])), rel=1e-9)


def test_workers_auto_keeps_every_worker_for_predicted_latency():
    from dse.search.workers import auto_workers

    assert auto_workers(["accuracy", "size_mb", "predicted_latency_ms"], "cpu", 2, None)[0] == 2
    assert auto_workers(["accuracy", "ort_latency_ms"], "cpu", 2, None)[0] == 1


def test_shipped_profile_predicts_its_committed_held_out_networks():
    """The shipped profile, through today's code, on the 30 held-out networks whose
    onnxruntime latencies were measured on the profile's own machine type
    (results/latency-model/validation.json): the same predictions as recorded, and the
    error and rank agreement the docs state (median |error| 4.7 %, Kendall 0.917)."""
    import json
    import statistics
    from pathlib import Path

    from scipy.stats import kendalltau

    from dse.deploy.latency_model import Profile
    from dse.models import build

    repo = Path(__file__).resolve().parents[1]
    recorded = json.loads((repo / "results" / "latency-model" / "validation.json").read_text())
    profile = Profile.load(repo / "dse" / "reference" / "latency-profile.json")
    measured, predicted = [], []
    for row in recorded["rows"]:
        p = profile.predict(build(row["spec"], 10))
        assert p == pytest.approx(row["predicted_ms"], rel=1e-6), row["spec"]
        measured.append(row["measured_ms"])
        predicted.append(p)
    errors = [abs(p - m) / m for p, m in zip(predicted, measured, strict=True)]
    assert round(statistics.median(errors), 3) == 0.047
    assert round(kendalltau(predicted, measured).statistic, 3) == 0.917


def test_stored_predictions_are_kept_per_profile(tmp_path, monkeypatch):
    """Architecture measurements are shared through the store per machine; a prediction
    is the profile's, so each profile (by content) is a machine of its own there."""
    from dse.search.keys import machine_name

    monkeypatch.delenv("DSE_LATENCY_PROFILE", raising=False)
    shipped = machine_name()
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(lm.DEFAULT_PROFILE.read_text())
    b.write_text(lm.DEFAULT_PROFILE.read_text().replace("{", "{ ", 1))
    monkeypatch.setenv("DSE_LATENCY_PROFILE", str(a))
    with_a = machine_name()
    monkeypatch.setenv("DSE_LATENCY_PROFILE", str(b))
    assert len({shipped, with_a, machine_name()}) == 3 and with_a.startswith(shipped)

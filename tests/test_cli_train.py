"""`dse train`, `dse evaluate` and `dse models` through the real command line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest


def dse(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "dse.cli", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, cwd=cwd)


def test_train_then_evaluate(tmp_path, data_dir):
    out = tmp_path / "run"
    r = dse("train", "--model", "hps-06-0.5x", "--epochs", "1", "--subset", "500",
            "--val-size", "500", "--device", "cpu", "--out", str(out), "--data-dir",
            str(data_dir))
    assert r.returncode == 0, r.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["epochs"]) == 1 and metrics["train_images"] == 500
    final = metrics["measurements"]  # validated on held-out images, then tested
    assert metrics["split"] == "val" and metrics["candidate"]["model"] == metrics["model"]
    for key in ("accuracy", "test_accuracy", "train_images_per_s", "params", "macs",
                "size_mb", "latency_ms", "latency_p90_ms", "epoch_time_s"):
        assert final[key] > 0, key
    assert final["params"] == 67_670
    r = dse("evaluate", "--model", "hps-06-0.5x", "--checkpoint", str(out / "checkpoint.pt"),
            "--device", "cpu", "--data-dir", str(data_dir), "--tta-flip")
    assert r.returncode == 0, r.stderr
    assert f"test accuracy {final['test_accuracy']:.4f}" in r.stdout  # same weights, same figure
    assert re.search(r"; 0\.\d{4} averaged with the mirrored image", r.stdout), r.stdout

    # the architecture of a checkpoint, trained again from scratch (a found model, longer)
    again = tmp_path / "again"
    r = dse("train", "--model-from", str(out / "checkpoint.pt"), "--model-arg", "dropout=0.1",
            "--epochs", "1", "--subset", "200", "--val-size", "0", "--device", "cpu",
            "--out", str(again), "--data-dir", str(data_dir))
    assert r.returncode == 0, r.stderr
    spec = json.loads((again / "metrics.json").read_text())["model"]
    assert spec["name"] == "hps-06-0.5x" and spec["dropout"] == 0.1, spec
    r = dse("train", "--model", "hps-06-0.5x", "--model-from", str(out / "checkpoint.pt"))
    assert r.returncode == 2 and "once" in r.stderr and "Traceback" not in r.stderr

    # a run tested on the test set stands in the frontier table beside confirmations
    r = dse("frontier", "--run", str(again), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    row = next(line for line in r.stdout.splitlines() if "one run of `dse train`" in line)
    tested = json.loads((again / "metrics.json").read_text())
    assert tested["split"] == "test" and "accuracy" not in tested["measurements"]
    test_acc = tested["measurements"]["test_accuracy"]  # every epoch tested: named so
    assert f"| {test_acc * 100:.2f} |" in row and "dropout=0.1" in row and "seed 0" in row
    assert "`sgd lr=0.1 cosine b128 wd=0.0005`" in row and "HPS-06-0.5x" in r.stdout
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    m = json.loads((again / "metrics.json").read_text())
    m["train_config"]["epochs"] = 5
    (unfinished / "metrics.json").write_text(json.dumps(m))
    (tmp_path / "empty").mkdir()
    for folder, needle in ((out, "validation split"), (unfinished, "1 of its 5 epochs"),
                           (tmp_path / "empty", "no readable metrics.json")):
        r = dse("frontier", "--run", str(folder), cwd=tmp_path)
        assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr, r.stderr


@pytest.mark.parametrize("args,needle", [
    (["train", "--model", "hps-nope"], "unknown model"),
    (["train", "--model", "hps-06-0.5x", "--optimizer", "sgdd"], "unknown optimizer"),
    (["train", "--model", "hps-06-0.5x", "--dataset", "cifar200"], "neither a registered name"),
])
def test_user_mistakes_are_one_paragraph_errors(args, needle, data_dir):
    r = dse(*args, "--data-dir", str(data_dir), "--device", "cpu", "--epochs", "1",
            "--subset", "200", "--val-size", "100")
    assert r.returncode != 0 and needle in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_missing_data_and_corrupt_checkpoint(tmp_path):
    r = dse("train", "--model", "hps-06-0.5x", "--data-dir", str(tmp_path / "none"))
    assert r.returncode == 2 and "cifar-10-batches-bin" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "runs").exists()
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    r = dse("evaluate", "--model", "hps-06-0.5x", "--checkpoint", str(bad))
    assert r.returncode == 2 and "bad.pt" in r.stderr and "Traceback" not in r.stderr
    r = dse("train", "--model-from", str(bad), "--data-dir", str(tmp_path / "none"))
    assert r.returncode == 2 and "bad.pt" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "runs").exists()


def test_models_json():
    r = dse("models", "hps-06-*", "--json")
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert rows["hps-06-0.5x"]["params"] == 67_670
    assert rows["hps-06-0.5x"]["paper_size_mb_cifar10"] == 0.37

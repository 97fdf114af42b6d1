"""One training path: every run goes through TrainingJob, and diverging fails one way."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import torch

from dse.errors import TrainingError
from dse.train import TrainConfig
from dse.train.job import DataPlan, TrainingJob, prepare_data

DSE = Path(__file__).resolve().parents[1] / "dse"


def _calls(name: str) -> list[str]:
    """Modules of dse that call `name` (a function imported by name, or `engine.name`)."""
    out = []
    for path in DSE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                f = node.func
                called = f.id if isinstance(f, ast.Name) else (
                    f.attr if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                    and f.value.id in ("engine", "job") else None)
                if called == name:
                    out.append(str(path.relative_to(DSE)))
    return out


def test_one_epoch_loop_and_one_caller_of_it():
    loops = [str(p.relative_to(DSE)) for p in DSE.rglob("*.py")
             for node in ast.walk(ast.parse(p.read_text()))
             if isinstance(node, ast.For) and isinstance(node.target, ast.Name)
             and node.target.id == "epoch"]
    # the networks' loop, and the supernet's sandwich (several networks per batch, its own
    # resume state): dse/supernet/training.py
    assert sorted(loops) == ["supernet/training.py", "train/engine.py"]
    assert _calls("fit") == ["train/job.py"]  # TrainingJob.run, nothing else
    users = set(_calls("TrainingJob"))  # the study's trials, dse train and dse confirm
    assert {"search/trial_training.py", "train/job.py"} <= users  # run_training: train, confirm
    assert set(_calls("run_training")) >= {"confirm.py", "api/train.py",
                                           "calibration/__init__.py"}


def test_a_diverging_run_fails_the_same_way_everywhere(tmp_path, data_dir):
    """The policy (`dse.train.job.diverged`): stop at the first non-finite loss, a
    TrainingError naming the model and the epoch, no checkpoint or resume state kept. The
    study (tests/test_crashes.py) and `dse train` (below) show it to users."""
    train, val, _ = prepare_data(DataPlan(subset=256, val_subset=100), 16, data_dir,
                                 test=False)
    spec = {"name": "hps", "blocks": [1, 1, 1, 1], "width": 0.25, "resolution": 0.5}
    seen = []
    job = TrainingJob(spec, TrainConfig(epochs=3, lr=1e8, batch_size=64), "cifar10", train,
                      val, torch.device("cpu"), sinks=[seen.append],
                      resume_path=tmp_path / "resume.pt")
    with pytest.raises(TrainingError, match=r"hps diverged at epoch (\d): .*lower the "
                                            r"learning rate.*no checkpoint was written") as e:
        job.run()
    epoch = int(re.search(r"epoch (\d)", str(e.value)).group(1))
    assert len(seen) == epoch - 1  # the sinks saw the epochs before, not the diverged one
    assert not list(tmp_path.iterdir())  # its resume state is gone
    assert TrainingError.exit_code == 1
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "dse.cli", "train", "--model", "hps-06-0.5x",
                        "--model-arg", "blocks=[1,1,1,1]", "--batch-size", "64",
                        "--epochs", "2", "--subset", "320", "--lr", "1e8", "--device", "cpu",
                        "--out", "run", "--resumable", "--data-dir", str(data_dir)],
                       cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 1 and "diverged at epoch" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert not [p for p in (tmp_path / "run").rglob("*") if p.suffix in (".pt", ".json")]

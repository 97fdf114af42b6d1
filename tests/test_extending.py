"""Extending dse from outside its files: a family, metrics and a scheduler from a plugin,
used by a real smoke study on CIFAR-10; impossible model dimensions refused at load time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from spaces import MINIMAL

from dse.errors import ConfigError
from dse.search.space import load_space

PLUGINS = Path(__file__).resolve().parent / "plugins"
TOY_SPACE = textwrap.dedent("""
    name: toy
    study: toy
    objectives: [accuracy, conv_layers, final_train_loss]
    sampler: {shifted_random: {shift: 3}}
    model:
      family: tiny
      channels: {int: [2, 32]}
      depth: {int: [1, 3]}
    training:
      optimizer: {sgd: {lr: 0.05, momentum: 0.9}}
      schedule: {halfway: {factor: {choices: [0.5, 0.1]}}}
      batch_size: 64
    fidelities:
      smoke: {epochs: 2, train_images: 1000, val_images: 200, latency_repeats: 2,
              scheduler: {every_other: {every: 2, epoch: 1}}}
    default_fidelity: smoke
""")


def dse(*args, cwd):
    env = {**os.environ, "DSE_PLUGINS": "toy_plugin", "COLUMNS": "200",
           "PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "dse.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env=env)


def test_plugin_family_metric_and_scheduler_in_a_real_study(tmp_path, data_dir):
    space = tmp_path / "toy.yaml"
    space.write_text(TOY_SPACE)
    r = dse("space", "validate", str(space), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = dse("run", "--space", str(space), "--trials", "4", "--device", "cpu", "--data-dir",
            str(data_dir), "--workers", "1", cwd=tmp_path)  # one sampler, seeded 0 (+ 3)
    assert r.returncode == 0, r.stderr

    from dse.store import Store

    recs = Store(f"sqlite:///{tmp_path}/studies/dse.db").trials("toy")
    trained = [r for r in recs if r.reused_from is None]  # a repeated candidate is reused
    assert len(trained) >= 3
    assert all(r.status == ("pruned" if r.number % 2 else "complete") for r in trained)
    assert all("toy scheduler" in r.reason for r in recs if r.status == "pruned")
    # the toy sampler drew trial 0 (seed 0 + shift 3), the toy schedule trained every trial
    sys.path.insert(0, str(PLUGINS))
    import optuna
    import toy_plugin  # noqa: F401  (registers the toy entries in this process too)

    from dse.search.candidate import sample

    first = sample(load_space(str(space)), optuna.create_study(
        sampler=optuna.samplers.RandomSampler(seed=3)).ask())
    assert next(r for r in recs if r.number == 0).candidate == first.to_dict()
    assert all(r.candidate["train"]["schedule"] == "halfway" for r in recs)
    assert {r.candidate["train"]["schedule_kwargs"]["factor"] for r in recs} <= {0.5, 0.1}
    for rec in recs:  # the toy metrics were measured on the toy family's model
        if rec.measurements:
            assert rec.measurements["conv_layers"] == rec.candidate["model"]["depth"]
    first_curve = Store(f"sqlite:///{tmp_path}/studies/dse.db").epochs([trained[0].id])
    assert trained[0].measurements["final_train_loss"] == pytest.approx(
        [e for e in first_curve if e.repeat == 0][-1].train_loss)  # measured after training

    r = dse("pareto", "--study", "toy", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    front = json.loads(r.stdout)
    assert front and all("conv_layers" in row for row in front)
    assert all(row["model"].startswith("tiny") for row in front)  # the family's summary
    r = dse("pareto", "--study", "toy", cwd=tmp_path)
    assert "conv_layers (layers)" in r.stdout, r.stdout

    r = dse("show", "--study", "toy", "--trial", "0", cwd=tmp_path)
    assert r.returncode == 0 and '"conv_layers"' in r.stdout, r.stderr

    # the toy metrics are columns of `dse confirm`'s table, beside the confirmed figure; the
    # one measured after training is measured again by the confirmation and stored with it
    r = dse("confirm", "--study", "toy", "--top", "1", "--epochs", "1", "--train-images", "500",
            "--device", "cpu", "--data-dir", str(data_dir), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "conv_layers (layers), search" in r.stdout, r.stdout  # short headers, unit beside
    assert "test accuracy (%, mean ± sample sd)" in r.stdout, r.stdout
    assert "final_train_loss, confirmed" in r.stdout, r.stdout
    run, = Store(f"sqlite:///{tmp_path}/studies/dse.db").confirmations("toy")
    assert run.measurements["final_train_loss"] == pytest.approx(run.curves[-1]["train_loss"])
    assert "accuracy" not in run.measurements  # tested on the test split: test_accuracy

    r = dse("report", "--study", "toy", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    pages = tmp_path / "reports" / "toy"
    assert "conv_layers (layers)" in (pages / "trials.html").read_text()
    assert "convolution layers (layers)" in (pages / "trial-00000.html").read_text()
    assert "convolution layers" in (pages / "pareto.html").read_text()  # an axis title
    assert "final_train_loss" in (pages / "trials.html").read_text()
    assert "confirmed_final_train_loss" in (pages / "confirmed.html").read_text()

    # the plugin family exports like any other: the front's best trial, verified
    r = dse("export", "--study", "toy", "--out", "toy.onnx", "--data-dir", str(data_dir),
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    card = json.loads((tmp_path / "toy.onnx.card.json").read_text())
    assert card["model"]["name"] == "tiny" and card["verification"]["top1_agreement"] == 1.0
    assert card["study"] == "toy" and card["trial"] in [row["trial"] for row in front]


def test_plugin_dimensions_are_checked_at_load_time(tmp_path):
    space = tmp_path / "toy.yaml"
    space.write_text(TOY_SPACE.replace("{int: [1, 3]}", "{int: [1, 9]}"))
    r = dse("space", "validate", str(space), cwd=tmp_path)
    assert r.returncode == 2 and "model.depth" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("old,new,where", [
    ("shift: 3", "shfit: 3", "sampler: shifted_random.shfit"),
    ("shift: 3", "shift: -1", "sampler: shifted_random.shift"),
    ("factor: {choices: [0.5, 0.1]}", "factr: 0.5", "halfway.factr"),
    ("factor: {choices: [0.5, 0.1]}", "factor: {choices: [0.5, 2.0]}", "halfway.factor"),
])
def test_plugin_sampler_and_schedule_options_are_checked_at_load_time(tmp_path, old, new,
                                                                        where):
    space = tmp_path / "toy.yaml"
    space.write_text(TOY_SPACE.replace(old, new))
    r = dse("space", "validate", str(space), cwd=tmp_path)
    assert r.returncode == 2 and where in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_a_broken_plugin_is_a_clear_error(tmp_path):
    env = {**os.environ, "DSE_PLUGINS": "no_such_plugin_module"}
    r = subprocess.run([sys.executable, "-m", "dse.cli", "models"], capture_output=True,
                       text=True, cwd=tmp_path, env=env)
    assert r.returncode == 2 and "no_such_plugin_module" in r.stderr
    assert "Traceback" not in r.stderr


BASE = MINIMAL
IMPOSSIBLE = [
    ("width: {choices: [0.5, 1.0]}", "width: {float: [0.5, 10]}", "model.width"),
    ("width: {choices: [0.5, 1.0]}", "width: 0", "model.width"),
    ("width: {choices: [0.5, 1.0]}", "width: -1.0", "model.width"),
    ("width: {choices: [0.5, 1.0]}", "width: {choices: [0.5, .nan]}", "model.width"),
    ("width: {choices: [0.5, 1.0]}", "width: 0.05", "model.width"),  # no channel left
    ("{int: [1, 4]}", "{int: [0, 4]}", "model.blocks"),
    ("{int: [1, 4]}", "{int: [-3, 4]}", "model.blocks"),
    ("{int: [1, 4]}", "{int: [1, 1000000000]}", "model.blocks"),
    ("[1, 1, {int: [1, 4]}, 1]", "[1, {int: [1, 4]}, 1]", "model.blocks"),  # three stages
    ("[1, 1, {int: [1, 4]}, 1]", "{choices: [[1, 1, 1, 1], [1, 0, 1, 1]]}", "model.blocks"),
    ("width: {choices: [0.5, 1.0]}", "width: 0.5\n  resolution: 5", "model.resolution"),
    ("width: {choices: [0.5, 1.0]}", "width: 0.5\n  dropout: {float: [0, 1]}", "model.dropout"),
    ("width: {choices: [0.5, 1.0]}", "width: 0.5\n  activation: {choices: [relu, tanhh]}",
     "model.activation"),
    ("width: {choices: [0.5, 1.0]}", "width: 0.5\n  depth: 3", "model.depth"),
    ("width: {choices: [0.5, 1.0]}", "width: '0.5; rm -rf /'", "model.width"),
    ("width: {choices: [0.5, 1.0]}", "width: '0.5'", "model.width"),  # a string, not a number
    ("{int: [1, 4]}", "'2'", "model.blocks"),
    ("width: {choices: [0.5, 1.0]}", "width: true", "model.width"),
]


@pytest.mark.parametrize("old,new,path", IMPOSSIBLE)
def test_impossible_model_dimensions_are_refused_with_their_key_path(tmp_path, old, new, path):
    file = tmp_path / "space.yaml"
    file.write_text(BASE.replace(old, new))
    with pytest.raises(ConfigError) as exc:
        load_space(str(file))
    assert path in str(exc.value) and len(str(exc.value)) < 1500, str(exc.value)


def test_space_validate_refuses_an_impossible_width_with_exit_2(tmp_path):
    file = tmp_path / "space.yaml"
    file.write_text(BASE.replace("{choices: [0.5, 1.0]}", "{float: [0.5, 10]}"))
    r = subprocess.run([sys.executable, "-m", "dse.cli", "space", "validate", str(file)],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2 and "model.width" in r.stderr and "Traceback" not in r.stderr

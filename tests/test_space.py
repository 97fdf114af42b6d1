"""Search space files: shipped spaces, validation errors, sampling."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import optuna
import pytest
from spaces import MINIMAL

from dse.errors import ConfigError
from dse.search.candidate import sample
from dse.search.params import cardinality, grid_space
from dse.search.space import load_space, shipped_spaces
from dse.train import TrainConfig
from dse.train.job import build_model

SHIPPED = ["hps_cifar10", "hps_arch_cifar10", "hps_paperdims_cifar10", "hps_cifar100",
           "squeezenext_cifar10", "paper_cifar10", "paper_cifar100"]


def test_shipped_spaces_validate_and_name_their_studies():
    assert set(SHIPPED) <= set(shipped_spaces())
    assert load_space("hps_cifar10").study == "hps"
    for name in SHIPPED:
        space = load_space(name)
        assert {"smoke", "proxy", "full"} <= set(space.fidelities)


@pytest.mark.parametrize("name", SHIPPED)
def test_sampled_candidates_build_and_configure(name):
    space = load_space(name)
    study = optuna.create_study(directions=space.directions,
                                sampler=optuna.samplers.RandomSampler(seed=1))
    for _ in range(5):
        cand = sample(space, study.ask())
        model = build_model(dict(cand.model), space.dataset)
        assert sum(p.numel() for p in model.parameters()) > 10_000
        TrainConfig(epochs=1, **cand.train)


def test_paper_spaces_are_grids_of_published_models():
    space = load_space("paper_cifar10")
    assert space.sampler == "grid" and cardinality(space) == 12
    assert "hps-21-1x-v3" in grid_space(space)["model"]


def write(tmp_path, text):
    path = tmp_path / "space.yaml"
    path.write_text(text)
    return path


BASE = MINIMAL


def test_minimal_space_and_cardinality(tmp_path):
    assert cardinality(load_space(str(write(tmp_path, BASE)))) == 8


@pytest.mark.parametrize("bad,needles", [
    (BASE.replace("{choices: [0.5, 1.0]}", "{choises: [0.5]}"),
     ["model.width", "choices"]),
    (BASE.replace("family: hps", "family: resnet"), ["model.family", "resnet", "hps"]),
    (BASE.replace("{int: [1, 4]}", "{int: [4, 1]}"), ["model.blocks", "lo <= hi"]),
    (BASE + "objectives: [accuracy, colour]\n", ["objectives", "colour", "size_mb"]),
    (BASE + "constraints: ['size_mb < 1']\n", ["constraints", "size_mb < 1"]),
    (BASE + "training:\n  optimizer:\n    adam: {lr: 0.1, nesterov: true}\n",
     ["training.optimizer", "nesterov"]),
    (BASE + "colour: blue\n", ["colour", "Extra inputs"]),
    (BASE.replace("proxy: {epochs: 1}", "proxy: {epochs: 0}"),
     ["fidelities.proxy.epochs", "greater than or equal to 1"]),
])
def test_invalid_space_names_file_key_and_allowed(tmp_path, bad, needles):
    path = write(tmp_path, bad)
    with pytest.raises(ConfigError) as exc:
        load_space(str(path))
    msg = str(exc.value)
    assert str(path) in msg
    for needle in needles:
        assert needle in msg, (needle, msg)
    assert msg.count("got ") <= 1, msg  # the value is shown once


def test_one_objective_is_refused_naming_the_rule(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_space(str(write(tmp_path, BASE + "objectives: [accuracy]\n")))
    assert "two to four distinct objectives" in str(exc.value)
    assert str(exc.value).count("got ") == 1


def test_space_validate_cli_exit_codes(tmp_path):
    ok = write(tmp_path, BASE)
    r = subprocess.run([sys.executable, "-m", "dse.cli", "space", "validate", str(ok)],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "ok" in r.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    r = subprocess.run([sys.executable, "-m", "dse.cli", "space", "validate", str(bad)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "bad.yaml" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "dse.cli", "space", "show", "hps_cifar10"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "blocks3" in r.stdout and "example candidate" in r.stdout


def test_a_space_extends_another_key_by_key(tmp_path):
    """`extends:` takes a shipped space or a file beside this one; each key given replaces
    the base's whole; a circle or a base that is not there is a one-paragraph error."""
    (tmp_path / "small.yaml").write_text(
        "extends: hps_arch_cifar10\nname: small\nstudy: small\n"
        "constraints: ['size_mb <= 0.37']\nbaselines: [hps-06-0.5x]\n")
    small, base = load_space(str(tmp_path / "small.yaml")), load_space("hps_arch_cifar10")
    assert (small.name, small.study, small.baselines) == ("small", "small", ["hps-06-0.5x"])
    assert [c.text for c in small.constraints] == ["size_mb <= 0.37"] and not base.constraints
    assert small.model == base.model and small.fidelities == base.fidelities
    (tmp_path / "smaller.yaml").write_text("extends: small.yaml\nstudy: smaller\n")
    smaller = load_space(str(tmp_path / "smaller.yaml"))  # a chain, relative to the file
    assert (smaller.name, smaller.study, smaller.constraints) == ("small", "smaller",
                                                                 small.constraints)
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nname: b\n")
    (tmp_path / "gone.yaml").write_text("extends: no_such_space\nname: g\n")
    (tmp_path / "num.yaml").write_text("extends: 3\nname: n\n")
    for name, needle in (("a.yaml", "circle"), ("gone.yaml", "unknown search space"),
                         ("num.yaml", "extends must name")):
        r = subprocess.run([sys.executable, "-m", "dse.cli", "space", "validate",
                            str(tmp_path / name)], capture_output=True, text=True)
        assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_recipe_options_are_dimensions_only_where_a_space_sets_them(tmp_path):
    from dse.train.job import training_config

    plain = tmp_path / "plain.yaml"
    plain.write_text(MINIMAL)
    mixing = tmp_path / "mixing.yaml"
    mixing.write_text(MINIMAL + textwrap.dedent("""
        training:
          erasing: {choices: [0.0, 0.25]}
          mix: {choices: [none, mixup, cutmix]}
          mix_ramp: 0.1
    """))
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    before = sample(load_space(str(plain)), study.ask())
    assert not {"erasing", "mix", "mix_alpha", "mix_ramp"} & set(before.train)  # keys kept
    seen = set()
    for _ in range(12):
        cand = sample(load_space(str(mixing)), study.ask())
        cfg = training_config(cand, 1).check()
        seen.add((cfg.erasing, cfg.mix))
        assert cfg.mix_ramp == 0.1 and "mix_alpha" not in cand.train
    assert {m for _, m in seen} == {"none", "mixup", "cutmix"} and len(seen) > 3
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL + "training:\n  mix: {choices: [none, blend]}\n")
    with pytest.raises(ConfigError, match="training.mix"):
        load_space(str(bad))

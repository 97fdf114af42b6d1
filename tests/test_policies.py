"""Augmentation policies: TrivialAugment batched on uint8 tensors, faithful to torchvision's
TrivialAugmentWide table, seeded by the epoch's generator, and usable by a training run."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from torchvision.transforms import v2

from dse.data import Batches, load_cifar
from dse.data.policies import POLICIES
from dse.data.trivialaugment import BINS, OPS, trivial_augment
from dse.errors import ConfigError
from dse.train.recipe import TrainConfig


def _images(data_dir, n=256):
    train, _ = load_cifar("cifar10", data_dir)
    return train.images[:n]


def test_the_operations_and_magnitudes_are_torchvisions_wide_table():
    theirs = v2.TrivialAugmentWide()._AUGMENTATION_SPACE
    names = {k.lower().replace("shearx", "shear_x").replace("sheary", "shear_y")
             .replace("translatex", "translate_x").replace("translatey", "translate_y"): k
             for k in theirs}
    assert set(names) == set(OPS)
    for ours, name in names.items():
        top, signed, _ = OPS[ours]
        mags, their_signed = theirs[name]
        m = mags(BINS, 32, 32)
        assert signed == their_signed, ours
        if m is None:
            assert top is None, ours
        elif ours == "posterize":  # bits 8 -> 2 there, bits removed 0 -> 6 here
            assert top == float(m[0] - m[-1])
        elif ours == "solarize":  # a threshold fraction 1 -> 0 there, 0 -> 255 removed here
            assert top == 255.0 * float(m[0] - m[-1])
        else:
            assert top == pytest.approx(float(m.max())), ours


@pytest.mark.parametrize("channels,side", [(3, 32), (1, 28)])
def test_trivialaugment_keeps_shape_and_dtype_and_follows_its_generator(data_dir, channels,
                                                                         side):
    x = _images(data_dir)[:, :channels, :side, :side].contiguous()
    a = trivial_augment(x, torch.Generator().manual_seed(1))
    b = trivial_augment(x, torch.Generator().manual_seed(1))
    c = trivial_augment(x, torch.Generator().manual_seed(2))
    assert a.dtype == torch.uint8 and a.shape == x.shape
    assert torch.equal(a, b) and not torch.equal(a, c)
    changed = (a != x).flatten(1).any(1).float().mean()
    assert 0.5 < changed < 1.0  # identity (and zero magnitudes) leave some images alone


def test_a_batch_iterator_applies_the_policy_and_an_unknown_one_is_refused(data_dir):
    train, _ = load_cifar("cifar10", data_dir)
    from dse.data.cifar import Split
    split = Split(train.images[:256], train.labels[:256])
    plain = Batches(split, "cifar10", 128, torch.device("cpu"), train=True, seed=0)
    ta = Batches(split, "cifar10", 128, torch.device("cpu"), train=True, seed=0,
                 policy="trivialaugment")
    (x0, y0), (x1, y1) = next(iter(plain)), next(iter(ta))
    assert torch.equal(y0, y1) and not torch.equal(x0, x1)
    assert "trivialaugment" in POLICIES
    with pytest.raises(ConfigError, match="augmentation polic"):
        TrainConfig(policy="randaug").check()


def test_dse_train_takes_the_policy_as_a_recipe_setting(data_dir, tmp_path):
    r = subprocess.run([sys.executable, "-m", "dse.cli", "train", "--model", "hps-06-0.5x",
                        "--epochs", "1", "--subset", "256", "--val-size", "100", "--device",
                        "cpu", "--data-dir", str(data_dir), "--out", str(tmp_path / "run"),
                        "--recipe-arg", "policy=trivialaugment"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["train_config"]["policy"] == "trivialaugment"


def test_a_space_searches_the_policy_and_refuses_an_unknown_one(tmp_path):
    from dse.api import example_candidate, load_space
    from tests.spaces import MINIMAL
    good = tmp_path / "good.yaml"
    good.write_text(MINIMAL + "training:\n  policy: {choices: [none, trivialaugment]}\n")
    cand = example_candidate(load_space(str(good)))
    assert cand.train["policy"] in ("none", "trivialaugment")
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL + "training:\n  policy: randaug\n")
    with pytest.raises(ConfigError, match="training.policy"):
        load_space(str(bad))

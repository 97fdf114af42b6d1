"""Found models as named, pretrained variants: weights shipped with dse, loadable with
`create(NAME, pretrained=True)` and `dse evaluate --model NAME --pretrained`, giving the
test accuracy their registration states."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

import dse.models as models
from dse.errors import ConfigError
from dse.models import registry
from dse.train.job import evaluate_on_test

PRETRAINED = [n for n in models.list_models() if models.get_entry(n).pretrained is not None]


def test_dse_ships_its_finds_and_each_file_is_small():
    assert {"dse-found-t119", "dse-found-t131"} <= set(PRETRAINED)
    for name in PRETRAINED:
        p = models.get_entry(name).pretrained
        assert (registry.PRETRAINED_DIR / p.file).stat().st_size < 1_000_000


@pytest.mark.parametrize("name", PRETRAINED)
def test_pretrained_weights_give_the_stated_test_accuracy(name, data_dir):
    p = models.get_entry(name).pretrained
    ev = evaluate_on_test(models.create(name, pretrained=True), p.dataset, data_dir,
                          device="cpu")
    assert ev["images"] == 10_000 and round(ev["accuracy"], 4) == p.test_accuracy


def test_damaged_or_missing_weights_and_wrong_uses_are_clear_errors(tmp_path, monkeypatch):
    name = PRETRAINED[0]
    p = models.get_entry(name).pretrained
    shutil.copy(registry.PRETRAINED_DIR / p.file, tmp_path / p.file)
    data = bytearray((tmp_path / p.file).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / p.file).write_bytes(bytes(data))
    monkeypatch.setattr(registry, "PRETRAINED_DIR", tmp_path)
    with pytest.raises(ConfigError, match="SHA-256"):
        models.create(name, pretrained=True)
    (tmp_path / p.file).unlink()
    with pytest.raises(ConfigError, match="cannot be read"):
        models.create(name, pretrained=True)
    with pytest.raises(ConfigError, match="no pretrained weights"):
        models.create("hps-06-0.5x", pretrained=True)
    with pytest.raises(ConfigError, match="drop the overrides"):
        models.create(name, pretrained=True, num_classes=100)


def test_evaluate_a_pretrained_model_from_the_command_line(data_dir):
    def dse(*args):
        return subprocess.run([sys.executable, "-m", "dse.cli", *args], capture_output=True,
                              text=True, env={**os.environ, "DSE_DATA_DIR": str(data_dir)})

    r = dse("evaluate", "--model", "dse-found-t131", "--pretrained", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    stated = models.get_entry("dse-found-t131").pretrained.test_accuracy
    assert f"test accuracy {stated:.4f}" in r.stdout
    r = dse("evaluate", "--model", "dse-found-t131")
    assert r.returncode == 2 and "--pretrained" in r.stderr and "Traceback" not in r.stderr
    r = dse("models", "dse-*")
    for name in ("dse-found-t119", "dse-found-t131"):  # each with its stated figure
        assert f"{models.get_entry(name).pretrained.test_accuracy:.2%} cifar10" in r.stdout

"""The model zoo: parameter counts from tests/data/reference_parameters.csv (with its source),
registry behaviour, forward shapes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch

import dse.models as models
from dse import measure
from dse.errors import ConfigError

PAPER_NAMES = ["squeezenet-1.0", "squeezenet-1.1", "sqnxt-23-1x", "sqnxt-23-2x", "hps-06-0.5x",
               "hps-06-0.75x", "hps-06-1x", "hps-08-0.5x", "hps-14-1.5x", "hps-21-1x-v2",
               "hps-21-1x-v3", "hps-23-1x", "hps-06-0.4x", "hps-06-0.575x", "hps-09-0.5x",
               "hps-14-1x", "hps-25-1x"]


def _reference() -> list[dict]:
    path = Path(__file__).parent / "data" / "reference_parameters.csv"
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines))


REFERENCE = _reference()


@pytest.mark.parametrize("row", [r for r in REFERENCE if r["registered_name"]],
                         ids=lambda r: r["model"])
def test_registered_models_have_the_reference_parameter_counts(row):
    model = models.create(row["registered_name"], num_classes=10)
    assert measure.count_params(model) == int(row["parameters"])


@pytest.mark.parametrize("row", [r for r in REFERENCE if r["model"].startswith("HPS")],
                         ids=lambda r: r["model"])
def test_the_hps_family_builds_the_reference_configurations(row):
    blocks = [int(b) for b in row["blocks"].split()]
    model = models.create("hps", blocks=blocks, width=float(row["width"]))
    assert measure.count_params(model) == int(row["parameters"])


def test_block_parameter_counts():
    from dse.models.blocks import SqueezeNextBlock

    def n(cin, cout, s):
        return measure.count_params(SqueezeNextBlock(cin, cout, s, "relu", "conv-act-bn"))

    assert [n(64, 32, 1), n(32, 32, 1), n(32, 64, 2), n(64, 64, 1), n(64, 128, 2),
            n(128, 128, 1), n(128, 256, 2)] == [5224, 2568, 10960, 9744, 42400, 37920, 166720]


def test_every_paper_model_is_registered():
    assert set(PAPER_NAMES) <= set(models.list_models())
    assert models.list_models("hps-21-*") == ["hps-21-1x-v2", "hps-21-1x-v3"]
    assert models.get_entry("hps-21-1x-v3").config().blocks == (2, 4, 12, 1)


@pytest.mark.parametrize("name", PAPER_NAMES)
def test_forward_shape(name):
    model = models.create(name, num_classes=100).eval()
    size = models.input_size(model)
    assert model(torch.randn(2, 3, size, size)).shape == (2, 100)


def test_hps_spatial_sizes_and_overrides():
    model = models.create("hps-06-1x", activation="elu", dropout=0.2, resolution=0.75)
    assert model.config.input_size == 24 and isinstance(model.dropout, torch.nn.Dropout)
    assert isinstance(model.stem[1], torch.nn.ELU)  # conv -> act -> BN sandwich
    assert model.stem(torch.randn(1, 3, 32, 32)).shape[-1] == 30  # unpadded stem (Table 5)
    base = models.create("sqnxt-23-1x")
    assert isinstance(base.stem[1], torch.nn.BatchNorm2d)  # conv -> BN -> act
    assert base.stem(torch.randn(1, 3, 32, 32)).shape[-1] == 32


def test_unknown_name_and_bad_override_are_config_errors():
    with pytest.raises(ConfigError, match="hps-06-0.5x"):
        models.create("hps-99")
    with pytest.raises(ConfigError, match="activation"):
        models.create("hps-06-1x", activation="tanhh")


def test_macs_and_size_are_measured():
    m = models.create("hps-06-0.5x")
    macs = measure.count_macs(m)
    assert 3_000_000 < macs < 5_000_000
    assert measure.count_macs(models.create("hps-06-0.5x", resolution=0.5)) < macs / 3
    assert abs(measure.size_mb(m) - measure.count_params(m) * 4 / 1e6) < 0.1

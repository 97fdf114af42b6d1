"""The weight-sharing supernet: slices are the stand-alone networks, training resumes
exactly, and a oneshot study runs from `dse run` with its supernet trained first."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap

import pytest
import torch

from dse.errors import ConfigError
from dse.models import make_config
from dse.search.fidelity import Fidelity
from dse.search.space import SearchSpace, load_space
from dse.search.supernets import GroupNets, groups
from dse.supernet import SuperNet, SupernetRecipe, oneshot_evaluate, train_supernet
from dse.train.job import DataPlan, prepare_data

SPACE = textwrap.dedent("""
    name: dw
    study: dw
    model:
      family: hps
      blocks: [{int: [1, 2]}, {int: [1, 2]}, {int: [1, 3]}, 1]
      stage_channels: [{choices: [8, 16]}, {choices: [16, 24]}, {choices: [24, 32]},
                       {choices: [32, 48]}]
      stem_channels: {choices: [8, 16]}
      stem_stride: {choices: [1, 2]}
      head_channels: {choices: [0, 32]}
      strides: [1, {choices: [1, 2]}, 2, {choices: [1, 2]}]
      squeeze: [{choices: [0.25, 0.5]}, {choices: [0.5, 1.0]}]
      conv3: {choices: [dw3, dw5, sep]}
      se: {choices: [0.0, 0.25]}
      order: conv-bn-act
      resolution: {choices: [0.75, 1.0]}
      dropout: {choices: [0.0, 0.2]}
    fidelities:
      smoke: {epochs: 0, train_images: 256, val_images: 100,
              oneshot: {supernet: {epochs: 1, random_subnets: 1, calib_images: 64},
                        calib_images: 64}}
    default_fidelity: smoke
""")


def _space(text: str = SPACE) -> SearchSpace:
    import yaml
    return SearchSpace.model_validate(yaml.safe_load(text))


def _randomise_bn(net: torch.nn.Module) -> None:
    gen = torch.Generator().manual_seed(0)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen))
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)
            m.weight.data.copy_(torch.randn(m.weight.shape, generator=gen))
            m.bias.data.copy_(torch.randn(m.bias.shape, generator=gen))


def test_a_space_splits_into_supernets_by_what_cannot_share_weights():
    gs = groups(_space())
    assert sorted(g.slug for g in gs) == ["relu-bn-act-pad0-dw", "relu-bn-act-pad0-sep"]
    dw = next(g for g in gs if g.slug.endswith("dw"))
    nets = GroupNets(_space(), dw)
    big, small = nets.largest(), nets.smallest()
    assert big.blocks == (2, 2, 3, 1) and big.stage_channels == (16, 24, 32, 48)
    assert big.conv3 == "dw5" and small.conv3 == "dw3"
    assert big.strides == (1, 1, 2, 1) and small.strides == (1, 2, 2, 2)
    assert big.stem_stride == 1 and small.stem_stride == 2
    assert big.head_channels == 32 and small.head_channels == 0
    assert big.resolution == 1.0 and small.resolution == 0.75
    drawn = {nets.sample(random.Random(i)).conv3 for i in range(20)}
    assert drawn == {"dw3", "dw5"}  # within its group only


@pytest.mark.parametrize("kind", ["dw", "sep"])
def test_every_slice_computes_exactly_what_the_stand_alone_network_does(kind):
    space = _space()
    nets = GroupNets(space, next(g for g in groups(space) if g.slug.endswith(kind)))
    torch.manual_seed(0)
    net = SuperNet(nets.largest())
    _randomise_bn(net)
    net.eval()
    x = torch.randn(3, 3, 32, 32)
    cfgs = [nets.largest(), nets.smallest(), *(nets.sample(random.Random(i)) for i in range(6))]
    for cfg in cfgs:
        model = net.extract(cfg).eval()
        side = cfg.input_size
        xs = x if side == 32 else torch.nn.functional.interpolate(
            x, size=(side, side), mode="bilinear", antialias=True, align_corners=False)
        with torch.no_grad():
            assert torch.allclose(net(x, cfg), model(xs), atol=1e-5), cfg.summary()


def test_a_small_network_trains_only_its_own_slice():
    big = make_config("hps", 10, blocks=(2, 1, 1, 1), stage_channels=(16, 16, 32, 32),
                      stem_channels=16, head_channels=32, conv3="dw5", order="conv-bn-act")
    small = big.model_copy(update={"blocks": (1, 1, 1, 1), "stage_channels": (8, 16, 32, 32),
                                   "conv3": "dw3"})
    net = SuperNet(big)
    net.train()
    net(torch.randn(4, 3, 32, 32), small).sum().backward()
    stem = net.net.stem[0].weight.grad
    assert stem[:small.stem_channels].abs().sum() > 0
    dw = net.net.stages[0][0].main[2][0].weight.grad  # depthwise 5x5: only the centre 3x3
    assert dw[:, :, 1:4, 1:4].abs().sum() > 0
    assert dw[:, :, 0].abs().sum() == 0 and dw[:, :, :, 4].abs().sum() == 0
    assert net.net.stages[0][1].main[0][0].weight.grad is None  # the second block: unused
    assert net.net.stages[0][0].main[0][0].weight.grad[8:].abs().sum() == 0  # channels 8..15


def test_networks_a_supernet_does_not_hold_are_refused_by_name():
    big = make_config("hps", 10, blocks=(1, 1, 1, 1), stage_channels=(16, 16, 32, 32),
                      stem_channels=16, head_channels=32, order="conv-bn-act")
    net = SuperNet(big)
    with pytest.raises(ConfigError, match="activation 'elu'"):
        net.check(big.model_copy(update={"activation": "elu"}))
    with pytest.raises(ConfigError, match="larger than this supernet"):
        net.check(big.model_copy(update={"blocks": (2, 1, 1, 1)}))


def test_supernet_training_resumes_exactly(data_dir, tmp_path):
    train, val, _ = prepare_data(DataPlan(subset=256, val_subset=100), data_dir=data_dir,
                                 test=False)
    space = _space()
    nets = GroupNets(space, next(g for g in groups(space) if g.slug.endswith("dw")))
    recipe = SupernetRecipe(epochs=2, batch_size=64, random_subnets=1, calib_images=64)

    def fresh() -> SuperNet:
        torch.manual_seed(0)
        return SuperNet(nets.largest())

    whole = fresh()
    train_supernet(whole, nets.sample, nets.smallest(), train, val, recipe)
    first = fresh()
    state = tmp_path / "resume.pt"
    one = recipe.model_copy(update={"epochs": 2})
    with pytest.raises(KeyboardInterrupt):  # stopped after the first epoch's state
        def stop(row):
            raise KeyboardInterrupt
        train_supernet(first, nets.sample, nets.smallest(), train, val, one,
                       resume_path=state, on_epoch=stop)
    second = fresh()
    history = train_supernet(second, nets.sample, nets.smallest(), train, val, one,
                             resume_path=state)
    assert [r["epoch"] for r in history] == [1, 2]
    for k, v in whole.state_dict().items():
        assert torch.equal(v, second.state_dict()[k]), k
    acc = oneshot_evaluate(second, nets.smallest(), train, val, "cifar10", 64)
    assert 0.0 <= acc["accuracy"] <= 1.0 and acc["calib_images"] == 64


def test_oneshot_fidelity_rules():
    Fidelity.model_validate({"epochs": 0, "oneshot": {}})
    with pytest.raises(ValueError, match="0 only for a oneshot"):
        Fidelity.model_validate({"epochs": 0})
    # a fidelity without oneshot keys its measurements as before oneshot existed
    assert "oneshot" not in Fidelity.model_validate({"epochs": 3}).key_dict()
    with pytest.raises(ValueError, match="leave repeats at 1"):
        Fidelity.model_validate({"epochs": 0, "repeats": 2, "oneshot": {}})
    with pytest.raises(ValueError, match="extra"):
        Fidelity.model_validate({"epochs": 0, "oneshot": {"supernet": {"epoch": 3}}})


def dse(*args, cwd):
    env = {**os.environ, "COLUMNS": "200", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "dse.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env=env)


def test_a_oneshot_study_trains_its_supernet_first_then_reuses_it(data_dir, tmp_path):
    common = ["--space", "hps_oneshot_cifar10", "--fidelity", "smoke", "--workers", "1",
              "--device", "cpu", "--log-format", "plain", "--data-dir", str(data_dir)]
    first = dse("run", *common, "--trials", "3", cwd=tmp_path)
    assert first.returncode == 0, first.stderr + first.stdout
    assert "supernet relu-bn-act-pad0-dw: training 1 epochs" in first.stdout
    assert "oneshot: val_acc" in first.stdout
    path = tmp_path / "studies" / "hps-oneshot" / "supernets" / "smoke-relu-bn-act-pad0-dw.pt"
    assert path.is_file() and not path.with_suffix(".pt.resume").exists()
    again = dse("run", *common, "--trials", "2", cwd=tmp_path)
    assert again.returncode == 0, again.stderr + again.stdout
    assert "training 1 epochs" not in again.stdout  # the study's supernet is reused
    from dse.store import Store
    store = Store(f"sqlite:///{tmp_path / 'studies' / 'dse.db'}")
    done = [t for t in store.trials("hps-oneshot") if t.measurements]
    assert len(done) >= 4
    for t in done:
        assert 0.0 <= t.measurements["accuracy"] <= 1.0
        assert [e.epoch for e in store.epochs([t.id])] == [0]
    shown = dse("supernet", "show", str(path), cwd=tmp_path)
    assert shown.returncode == 0 and "largest hps [3,4,8,2]" in shown.stdout
    info = json.loads(dse("supernet", "show", str(path), "--json", cwd=tmp_path).stdout)
    threads = torch.load(path, weights_only=True)["history"][0]["threads"]  # the worker's
    assert info["cpu_hours"] == pytest.approx(info["wall_hours"] * threads)
    assert "CPU-hours" in shown.stdout
    space = dse("space", "show", "hps_oneshot_cifar10", cwd=tmp_path)
    assert "1 supernet, one per value of activation" in space.stdout


def test_bad_supernet_files_and_spaces_are_refused_in_one_paragraph(data_dir, tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a supernet")
    common = ["--space", "hps_oneshot_cifar10", "--fidelity", "smoke", "--trials", "1",
              "--device", "cpu", "--data-dir", str(data_dir)]
    r = dse("run", *common, "--supernet", str(bad), cwd=tmp_path)
    assert r.returncode == 2 and "could not be read" in r.stderr and "Traceback" not in r.stderr
    (tmp_path / "two.yaml").write_text(SPACE)
    r = dse("run", "--space", "two.yaml", "--trials", "1", "--supernet", str(bad),
            "--data-dir", str(data_dir), cwd=tmp_path)
    assert r.returncode == 2 and "needs 2" in r.stderr, r.stderr
    (tmp_path / "named.yaml").write_text(textwrap.dedent("""
        name: n
        study: n
        model: {name: {choices: [hps-06-0.5x]}}
        fidelities:
          os: {epochs: 0, oneshot: {}}
        default_fidelity: os
    """))
    r = dse("run", "--space", "named.yaml", "--trials", "1", "--data-dir", str(data_dir),
            cwd=tmp_path)
    assert r.returncode == 2 and "SqueezeNext families" in r.stderr, r.stderr


def test_the_shipped_oneshot_space_needs_one_supernet():
    space = load_space("hps_oneshot_cifar10")
    assert len(groups(space)) == 1
    assert space.fidelities["oneshot"].oneshot is not None
    assert space.default_fidelity == "proxy"  # the oneshot calibration's verdict (its README)


FT_SPACE = textwrap.dedent("""
    extends: hps_oneshot_cifar10
    fidelities:
      smoke: {epochs: 0, train_images: 640, val_images: 200, latency_repeats: 3,
              oneshot: {supernet: {epochs: 1, random_subnets: 1, calib_images: 128},
                        calib_images: 128}}
      smoke_ft: {epochs: 1, train_images: 640, val_images: 200, latency_repeats: 3,
                 oneshot: {supernet: {epochs: 1, random_subnets: 1, calib_images: 128},
                           calib_images: 128}}
    default_fidelity: smoke
""")


def test_calibrations_rate_oneshot_fidelities_and_reuse_references_and_supernets(data_dir,
                                                                               tmp_path):
    r = dse("fidelity", "check", "--space", "hps_oneshot_cifar10", "--fidelity", "smoke",
            "--reference-epochs", "1", "--reference-images", "300", "--sample", "4",
            "--out", "cal", "--device", "cpu", "--data-dir", str(data_dir), cwd=tmp_path)
    assert r.returncode == 0, r.stderr + r.stdout
    import json
    summary = json.loads((tmp_path / "cal" / "summary.json").read_text())
    f = summary["fidelities"]["smoke"]
    assert summary["references_done"] == 4
    # 128 calibration images plus the supernet's network-images over 500 candidates
    assert f["train_images"] > 128
    assert f["signals"]["last_val_acc"]["better_half"]["n"] == 2
    assert (tmp_path / "cal" / "supernets" / "smoke-relu-bn-act-pad0-dw.pt").is_file()
    assert "better half" in (tmp_path / "cal" / "summary.md").read_text()
    # a second calibration reuses the first one's references: only 1 new one is trained
    r = dse("fidelity", "check", "--space", "hps_oneshot_cifar10", "--fidelity", "smoke",
            "--reference-epochs", "1", "--reference-images", "300", "--sample", "5",
            "--out", "cal2", "--reuse", "cal", "--device", "cpu", "--data-dir", str(data_dir),
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr + r.stdout
    assert "6 runs trained now" in r.stderr  # 5 oneshot + 1 reference (4 reused)
    first = json.loads((tmp_path / "cal" / "plan.json").read_text())["candidates"]
    second = json.loads((tmp_path / "cal2" / "plan.json").read_text())
    assert second["candidates"][:4] == first and second["reused"]["references"] == 4
    assert (tmp_path / "cal2" / "runs" / "c000-reference" / "reused-from.txt").is_file()
    # a third, with a fine-tuned fidelity: references and the supernet reused
    (tmp_path / "ft.yaml").write_text(FT_SPACE)
    r = dse("fidelity", "check", "--space", "ft.yaml", "--fidelity", "smoke", "--fidelity",
            "smoke_ft", "--reference-epochs", "1", "--reference-images", "300", "--sample",
            "3", "--out", "cal3", "--reuse", "cal", "--device", "cpu", "--data-dir",
            str(data_dir), cwd=tmp_path)
    out = r.stderr + r.stdout
    assert r.returncode == 0, out
    assert "supernet reused from" in out and "training 1 epochs" not in out
    assert "6 runs trained now" in out  # 3 oneshot, 3 fine-tuned, no reference
    assert [p.name for p in (tmp_path / "cal3" / "supernets").glob("*.pt")] == [
        "smoke-relu-bn-act-pad0-dw.pt"]  # one file for both fidelities
    run = json.loads((tmp_path / "cal3" / "runs" / "c000-smoke_ft" / "result.json").read_text())
    assert [e["epoch"] for e in run["epochs"]] == [0, 1] and run["train_images"] == 640
    f = json.loads((tmp_path / "cal3" / "summary.json").read_text())["fidelities"]
    assert f["smoke_ft"]["train_images"] == pytest.approx(f["smoke"]["train_images"] + 640,
                                                          abs=1)

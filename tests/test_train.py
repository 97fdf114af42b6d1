"""Training engine: learning on real data, exact resume, checkpoints, optimizers, schedules."""

from __future__ import annotations

import pytest
import torch

import dse.models as models
from dse.errors import CheckpointError, ConfigError
from dse.train import TrainConfig, fit, load_checkpoint, load_weights, save_weights
from dse.train.job import DataPlan, prepare_data
from dse.train.optim import OPTIMIZERS, SCHEDULES, make_optimizer, make_scheduler


@pytest.fixture(scope="module")
def small(data_dir):
    train, val, _ = prepare_data(DataPlan("cifar10", val_size=5000, subset=5000), 32, data_dir)
    return train, val


def test_hps_06_learns_real_cifar10_in_two_epochs(small):
    train, val = small
    torch.manual_seed(0)
    model = models.create("hps-06-0.5x")
    history = fit(model, train, val, TrainConfig(epochs=2, seed=0), device="cpu")
    assert len(train) == 5000 and len(history) == 2
    assert history[-1]["val_acc"] > 0.2  # chance is 0.1
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert all(r["epoch_s"] >= r["train_s"] > 0 and r["train_images_per_s"] > 0 for r in history)


def test_bf16_trains_in_bfloat16_and_evaluates_in_float32(small):
    """`precision: bf16` runs training's forward pass in bfloat16 on a CPU; the weights and
    the evaluation stay float32, and the network still learns."""
    from dse.data import Split

    train = Split(small[0].images[:2048], small[0].labels[:2048])
    val = Split(small[1].images[:500], small[1].labels[:500])
    torch.manual_seed(0)
    model = models.create("hps-06-0.5x")
    seen: dict[bool, set] = {True: set(), False: set()}
    first_conv = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    first_conv.register_forward_hook(lambda m, i, o: seen[m.training].add(o.dtype))
    history = fit(model, train, val, TrainConfig(epochs=2, seed=0, precision="bf16"),
                  device="cpu")
    assert seen == {True: {torch.bfloat16}, False: {torch.float32}}
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert history[-1]["train_loss"] < history[0]["train_loss"]  # it learns
    with pytest.raises(Exception, match="precision"):
        TrainConfig(precision="fp8").check()


@pytest.mark.parametrize("extra", [{}, {"ema_decay": 0.9, "tta_flip": True},
                                   {"erasing": 0.5, "mix": "cutmix", "mix_ramp": 0.5},
                                   {"precision": "bf16"}],
                         ids=["plain", "ema+flip", "erasing+cutmix", "bf16"])
def test_resume_after_epoch_one_reproduces_epoch_two(small, tmp_path, extra):
    from dse.data import Split

    train = Split(small[0].images[:1024], small[0].labels[:1024])
    val = Split(small[1].images[:1000], small[1].labels[:1000])
    cfg = TrainConfig(epochs=2, seed=5, schedule="step", schedule_kwargs={"step_epochs": 1},
                      **extra)
    spec = {"name": "hps-06-0.5x", "dropout": 0.3}  # dropout exercises the restored RNG

    torch.manual_seed(5)
    full = models.create("hps-06-0.5x", dropout=0.3)
    reference = fit(full, train, val, cfg, device="cpu", spec=spec)

    class Stop(Exception):
        pass

    def stop(row):
        raise Stop

    torch.manual_seed(5)
    first = models.create("hps-06-0.5x", dropout=0.3)
    with pytest.raises(Stop):
        fit(first, train, val, cfg, device="cpu", resume_path=tmp_path / "resume.pt",
            on_epoch=stop, spec=spec)
    torch.manual_seed(123)  # a different process state must not matter
    second = models.create("hps-06-0.5x", dropout=0.3)
    resumed = fit(second, train, val, cfg, device="cpu", spec=spec,
                  resume=load_checkpoint(tmp_path / "resume.pt"))
    keys = ["train_loss", "train_acc", "val_loss", "val_acc", "lr"]
    for key in keys + (["val_acc_flip"] if extra.get("tta_flip") else []):
        assert resumed[1][key] == reference[1][key], key
    for a, b in zip(full.state_dict().values(), second.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_random_erasing_sets_rectangles_to_the_mean_and_nothing_else(small):
    from dse.data import Batches

    train = small[0]
    plain, erased = (next(iter(Batches(train, "cifar10", 64, torch.device("cpu"), True,
                                       seed=3, erasing=p))) for p in (0.0, 1.0))
    assert torch.equal(plain[1], erased[1])  # the same images, in the same order
    changed = (plain[0] != erased[0]).any(1)  # pixels erased, per image
    assert changed.flatten(1).any(1).all()  # every image lost a rectangle
    assert (erased[0].permute(0, 2, 3, 1)[changed].abs() < 0.02).all()  # the mean: 0
    frac = changed.flatten(1).float().mean(1)
    assert frac.max() <= 0.34 and frac.min() > 0  # 2-33 % of the image (less where the
                                                  # erased pixels already equalled the mean)


def test_mixing_is_seeded_ramps_up_and_weights_cutmix_by_area():
    from dse.train.mixing import Mixer

    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).reshape(2, 3, 8, 8)
    y = torch.tensor([0, 1])
    m = Mixer("cutmix", 1.0, 0.5, 10, seed=1)
    assert [m.chance(e) for e in (0, 1, 4, 9)] == [0.2, 0.4, 1.0, 1.0]
    a, b = (m(x, y, 9, m.generator(9)) for _ in range(2))
    assert torch.equal(a[0], b[0]) and a[2] == b[2]  # the same draws for the same epoch
    mixed, partner, lam = a
    if not torch.equal(partner, y):  # the partner is the other image: a pasted box
        pasted = (mixed != x).any(1)
        assert lam == pytest.approx(1 - pasted.float().mean().item())
    mix = Mixer("mixup", 0.4, 0.0, 10)
    out, _, lam = mix(x, y, 0, mix.generator(0))
    assert 0 <= lam <= 1 and out.shape == x.shape


def test_the_weight_average_is_what_is_evaluated_and_kept(small):
    from dse.data import Batches, Split
    from dse.train.engine import evaluate

    train = Split(small[0].images[:1024], small[0].labels[:1024])
    val = Split(small[1].images[:1000], small[1].labels[:1000])
    runs = {}
    for decay in (0.0, 0.95):
        torch.manual_seed(1)
        model = models.create("hps-06-0.5x")
        history = fit(model, train, val, TrainConfig(epochs=1, seed=1, ema_decay=decay,
                                                     tta_flip=True), device="cpu")
        ev = evaluate(model, Batches(val, "cifar10", 250, torch.device("cpu"), train=False,
                                     channels_last=True), flip=True)
        assert ev["accuracy"] == history[-1]["val_acc"]  # the returned weights were evaluated
        assert ev["accuracy_flip"] == history[-1]["val_acc_flip"]
        runs[decay] = model.state_dict()
    assert any(not torch.equal(a, b) for a, b in zip(runs[0.0].values(), runs[0.95].values(),
                                                     strict=True))
    with pytest.raises(ConfigError, match="ema_decay"):
        fit(models.create("hps-06-0.5x"), train, val, TrainConfig(epochs=1, ema_decay=1.5),
            device="cpu")


def test_the_weight_average_warms_up():
    from torch.optim.swa_utils import AveragedModel

    from dse.train.engine import ema_update

    model = torch.nn.Linear(2, 1)
    ema = AveragedModel(model, multi_avg_fn=ema_update(0.999), use_buffers=True)
    expected = None
    for step, value in enumerate((1.0, 5.0, -3.0, 2.0)):
        with torch.no_grad():
            model.weight.fill_(value)
        ema.update_parameters(model)
        d = min(0.999, (1 + step) / (10 + step))  # step 0 copies the weights
        expected = value if step == 0 else d * expected + (1 - d) * value
        assert ema.module.weight[0, 0].item() == pytest.approx(expected, rel=1e-6)
    with torch.no_grad():
        model.weight.fill_(5.0)
    for _ in range(20):
        ema.update_parameters(model)
    # early on it follows the model, not its random start (plain 0.999 would be at ~1.1)
    assert ema.module.weight[0, 0].item() > 4.5


def test_checkpoint_round_trip_and_errors(tmp_path):
    model = models.create("hps-06-0.5x")
    path = save_weights(tmp_path / "c.pt", model, {"name": "hps-06-0.5x"})
    assert not list(tmp_path.glob(".c.pt.*"))  # no temporary file left behind
    other = models.create("hps-06-0.5x")
    load_weights(other, load_checkpoint(path), path)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                  other.state_dict().values(), strict=True))
    with pytest.raises(CheckpointError, match="another architecture"):
        load_weights(models.create("hps-06-1x"), load_checkpoint(path), path)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="truncated, corrupt"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_takes_a_step(name):
    model = torch.nn.Linear(4, 2)
    kw = {"momentum": 0.9, "nesterov": True} if name == "sgd" else {}
    opt = make_optimizer(name, model.parameters(), lr=0.01, weight_decay=0.0, **kw)
    before = model.weight.detach().clone()
    model(torch.randn(8, 4)).pow(2).sum().backward()
    opt.step()
    assert not torch.equal(before, model.weight)


@pytest.mark.parametrize("name", SCHEDULES)
def test_every_schedule_runs_and_stays_positive(name):
    opt = make_optimizer("sgd", [torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    warm = 0.0 if name in ("cyclic", "onecycle") else 1.0
    sched = make_scheduler(name, opt, epochs=8, steps_per_epoch=10, warmup_epochs=warm)
    lrs = []
    for _ in range(80):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    assert all(0 <= lr <= 0.1 + 1e-9 for lr in lrs)
    if name != "constant":
        assert len({round(lr, 12) for lr in lrs}) > 2


def test_bad_optimizer_arguments_are_config_errors():
    params = [torch.nn.Parameter(torch.zeros(1))]
    with pytest.raises(ConfigError, match="does not take"):
        make_optimizer("adam", params, lr=0.1, nesterov=True)
    with pytest.raises(ConfigError, match="unknown optimizer"):
        make_optimizer("sgdd", params, lr=0.1)

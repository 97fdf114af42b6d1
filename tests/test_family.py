"""The generalised SqueezeNext family: the papers' variants unchanged, drawn architectures
built, trained, exported and run in onnxruntime, impossible ones refused, and the count of
architectures a constraint leaves."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dse.models as models
from dse import measure
from dse.deploy.exporters import get_exporter
from dse.search.census import census, spec_of, structural_slots, wilson
from dse.search.space import load_space


def _macs_by_hooks(model) -> int:
    """Multiply-accumulates counted independently of dse: a forward hook on every
    convolution (output elements x input channels per group x kernel area) and linear
    layer (input x output features), one 32x32 image."""
    total = 0

    def conv(m, inp, out):
        nonlocal total
        total += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear(m, inp, out):
        nonlocal total
        total += out.numel() // out.shape[-1] * m.in_features * m.out_features

    hooks = [mod.register_forward_hook(conv if isinstance(mod, torch.nn.Conv2d) else linear)
             for mod in model.modules() if isinstance(mod, torch.nn.Conv2d | torch.nn.Linear)]
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, 3, 32, 32))
    finally:
        for h in hooks:
            h.remove()
    return total


@pytest.mark.parametrize("name", [n for n in models.list_models()
                                  if models.get_entry(n).family in ("hps", "sqnxt", "squeezenet")])
def test_macs_equal_an_independent_count(name):
    """dse's MACs (torch's FlopCounterMode / 2) equal a count by forward hooks; parameter
    counts with an outside source are checked in tests/test_models.py."""
    model = models.create(name)
    assert measure.count_macs(model) == _macs_by_hooks(model), name


def test_papers_variants_are_points_of_the_channel_dimensions():
    """hps-06-0.5x written with explicit channels builds the same network, same weights."""
    cfg = models.make_config("hps-06-0.5x")
    explicit = models.create("hps", blocks=[1, 1, 1, 1], stage_channels=[16, 32, 64, 128],
                             stem_channels=32, head_channels=64)
    a = {k: v.shape for k, v in models.create("hps-06-0.5x").state_dict().items()}
    assert a == {k: v.shape for k, v in explicit.state_dict().items()}
    assert cfg.canonical() == explicit.dse_config.canonical()


def test_baselines_are_expressible_in_the_generalised_spaces():
    from dse.search.baselines import baseline_params

    for space_name in ("hps_cifar10", "hps_arch_cifar10"):
        space = load_space(space_name)
        for name in space.baselines:
            params, why = baseline_params(space, name)
            assert params is not None, (space_name, name, why)
            assert params["stage_channels1"] == models.make_config(name).layer_channels()[1][0]


SPACE = load_space("hps_cifar10")
SLOTS = structural_slots(SPACE)


@st.composite
def architectures(draw):
    values = [draw(st.sampled_from(v)) for _, _, v in SLOTS]
    spec = spec_of(SPACE, SLOTS, values)
    spec["dropout"] = draw(st.sampled_from(SPACE.model.dims["dropout"].choices))
    return spec


@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(spec=architectures())
def test_drawn_architectures_train_export_and_agree_in_onnxruntime(spec, tmp_path_factory):
    torch.manual_seed(0)
    name = spec.pop("name")
    model = models.create(name, **spec)
    size = models.input_size(model)
    x = torch.randn(8, 3, size, size)
    y = torch.randint(0, 10, (8,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    before = [p.detach().clone() for p in model.parameters()]
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    assert torch.isfinite(loss)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    model.eval()
    path = tmp_path_factory.mktemp("onnx") / "m.onnx"
    exporter = get_exporter("onnx")
    exporter.export(model, x[:2], path, {})
    run = exporter.load(path)
    with torch.inference_mode():
        expected = model(x).numpy()
    got = run(x.numpy())
    scale = max(1.0, float(np.abs(expected).max()))
    assert np.abs(got - expected).max() <= 1e-4 * scale, model.dse_config.summary()
    assert (got.argmax(1) == expected.argmax(1)).all()


BAD = {
    "width with every channel given": (
        "width: 0.5\n  stage_channels: [16, 32, 64, 128]\n  stem_channels: 32\n"
        "  head_channels: {choices: [0, 64]}", "width scales only"),
    "a 7x7 depthwise": ("conv3: {choices: [sep, dw7]}", "model.conv3"),
    "a stride of 3": ("strides: [1, {choices: [2, 3]}, 2, 2]", "model.strides"),
    "a squeeze of 0": ("squeeze: [0.0, 0.5]", "model.squeeze"),
    "zero channels": ("stage_channels: [{choices: [0, 8]}, 16, 32, 64]",
                      "model.stage_channels"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_impossible_architectures_are_refused_at_load(case, tmp_path):
    dims, where = BAD[case]
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent("""\
        name: bad
        study: bad
        model:
          family: hps
          {dims}
        fidelities:
          proxy: {{epochs: 1}}
        """).format(dims=dims))
    r = subprocess.run([sys.executable, "-m", "dse.cli", "space", "validate", str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 2, r.stdout + r.stderr
    assert where in r.stderr and "Traceback" not in r.stderr


def test_wilson_interval_on_known_values():
    lo, hi = wilson(71, 1000)  # textbook: p = 0.071, n = 1000
    assert lo == pytest.approx(0.05666, abs=1e-4) and hi == pytest.approx(0.08863, abs=1e-4)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0


def test_census_counts_exactly_when_small(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent("""\
        name: s
        study: s
        constraints: ['params <= 70000']
        model:
          family: hps
          blocks: [1, 1, {int: [1, 2]}, 1]
          width: {choices: [0.5, 1.0]}
          stage_channels: {choices: [null, [16, 32, 64, 128]]}
          dropout: {choices: [0.0, 0.5]}
        fidelities:
          proxy: {epochs: 1}
        """))
    result = census(load_space(str(path)))
    # 2 x 2 x 2 = 8 combinations; width 0.5 without channels is width 0.5 with channels
    # 16-32-64-128 (the same network), so 6 distinct networks; dropout does not count.
    assert "over 8 combinations" in result.method
    assert result.total == 6 and result.low == result.high
    feasible = set()
    for b in (1, 2):
        for w in (0.5, 1.0):
            for ch in (None, [16, 32, 64, 128]):
                m = models.create("hps", blocks=[1, 1, b, 1], width=w, stage_channels=ch)
                if measure.count_params(m) <= 70_000:
                    feasible.add(str(m.dse_config.canonical()))
    assert result.feasible == len(feasible) > 0


def test_space_show_counts_architectures_under_a_size_budget():
    r = subprocess.run([sys.executable, "-m", "dse.cli", "space", "show", "hps_arch_cifar10",
                        "--constraint", "size_mb <= 0.37", "--samples", "200"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    line = " ".join(r.stdout.split()).split("under size_mb <= 0.37: ")[1]
    assert "estimated from 200 combinations" in line and "Wilson" in line
    low = int(line.split("interval ")[1].split("-")[0].replace(",", ""))
    assert low >= 1000  # the bar: at least 1,000 distinct architectures fit

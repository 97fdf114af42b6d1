"""A latency model: onnxruntime latency predicted from a network's layers and a profile.

The network is traced (torch.fx, shapes propagated on one zero image) into the operations
onnxruntime will run, counted as features: multiply-accumulates of pointwise, spatial and
depthwise convolutions and of the classifier, the elements each separate BatchNorm,
activation, addition or multiplication touches, and the number of operations onnxruntime
executes (a BatchNorm right after a convolution folds into it, a ReLU fuses with it). A
profile holds one cost per feature, fitted by non-negative least squares to end-to-end
latencies measured on profiling networks (`dse latency-model profile`; on a target board
the timing itself needs only numpy and onnxruntime: `python -m dse.deploy.timing`). A
prediction is the dot product: deterministic, architecture-only, no timing at search time,
so any number of workers can use it as an objective or constraint.
"""

from __future__ import annotations

import functools
import json
import operator
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from dse.errors import ConfigError, DseWarning

FEATURES = ("ops", "macs_pointwise", "macs_spatial", "macs_depthwise", "macs_linear",
            "conv_out", "bn_elems", "relu_elems", "elu_elems", "other_act_elems",
            "add_elems", "mul_elems", "pool_elems")
RELU = (nn.ReLU, nn.ReLU6, nn.LeakyReLU)
DEFAULT_PROFILE = Path(__file__).resolve().parents[1] / "reference" / "latency-profile.json"


def features(model: nn.Module) -> dict[str, float]:
    """The latency features of `model` (evaluation mode, batch 1, its own input size)."""
    # lazy: `dse deploy run` needs only numpy + onnxruntime
    from torch.fx import symbolic_trace
    from torch.fx.passes.shape_prop import ShapeProp

    # lazy: torch/onnx: `dse deploy run` needs only numpy + onnxruntime
    from dse.models import input_channels, input_size

    model = model.eval()
    gm = symbolic_trace(model)
    side = input_size(model)
    with torch.no_grad():
        ShapeProp(gm).propagate(torch.zeros(1, input_channels(model), side, side))
    mods = dict(gm.named_modules())
    f = dict.fromkeys(FEATURES, 0.0)
    after_conv: set[str] = set()  # nodes whose value is a conv output (BN/ReLU fuse here)

    def elems(node) -> int:
        meta = node.meta.get("tensor_meta")
        return int(np.prod(meta.shape)) if meta is not None else 0

    for node in gm.graph.nodes:
        src = node.args[0] if node.args else None
        fused_input = getattr(src, "name", None) in after_conv and len(src.users) == 1
        if node.op == "call_module":
            m = mods[node.target]
            out = elems(node)
            if isinstance(m, nn.Conv2d):
                k = m.kernel_size[0] * m.kernel_size[1]
                macs = out * (m.in_channels // m.groups) * k
                kind = ("macs_depthwise" if m.groups > 1 else
                        "macs_pointwise" if k == 1 else "macs_spatial")
                f[kind] += macs
                f["conv_out"] += out
                f["ops"] += 1
                after_conv.add(node.name)
            elif isinstance(m, nn.Linear):
                f["macs_linear"] += m.in_features * m.out_features
                f["ops"] += 1
            elif isinstance(m, nn.BatchNorm2d):
                if fused_input:  # folds into the convolution
                    after_conv.add(node.name)
                else:
                    f["bn_elems"] += out
                    f["ops"] += 1
            elif isinstance(m, RELU):
                if not fused_input:
                    f["relu_elems"] += out
                    f["ops"] += 1
            elif isinstance(m, nn.ELU):
                f["elu_elems"] += out
                f["ops"] += 1
            elif isinstance(m, nn.AdaptiveAvgPool2d | nn.AvgPool2d | nn.MaxPool2d):
                f["pool_elems"] += elems(src) if src is not None else out
                f["ops"] += 1
            elif isinstance(m, nn.Dropout | nn.Identity | nn.Flatten):
                continue
            elif len(list(m.children())) == 0:  # another activation (hardswish, sigmoid...)
                f["other_act_elems"] += out
                f["ops"] += 1
        elif node.op == "call_function" and node.target in (operator.add, torch.add):
            f["add_elems"] += elems(node)
            f["ops"] += 1
        elif node.op == "call_function" and node.target in (operator.mul, torch.mul):
            f["mul_elems"] += elems(node)
            f["ops"] += 1
    return f


def vector(feats: dict[str, float]) -> np.ndarray:
    """Features in FEATURES order, scaled to comparable magnitudes (MACs in millions,
    elements in thousands), with a leading 1 for the fixed cost of a run."""
    scale = {k: (1e-6 if k.startswith("macs") else 1.0 if k == "ops" else 1e-3)
             for k in FEATURES}
    return np.array([1.0] + [feats[k] * scale[k] for k in FEATURES])


def fit(rows: list[dict[str, float]], latencies_ms: list[float]) -> np.ndarray:
    """Non-negative costs (ms per scaled feature) minimising the relative squared error."""
    # lazy: scipy costs ~0.5 s to import; only the statistics use it
    from scipy.optimize import nnls

    x = np.stack([vector(r) for r in rows])
    y = np.asarray(latencies_ms, float)
    w = 1.0 / y  # relative error: a 0.1 ms network counts as much as a 2 ms one
    coef, _ = nnls(x * w[:, None], y * w)
    return coef


class Profile:
    """Feature costs measured on one machine (runtime, threads and batch stated)."""

    def __init__(self, data: dict):
        self.data = data
        self.coef = np.asarray(data["coefficients"], float)
        if len(self.coef) != len(FEATURES) + 1:
            raise ConfigError("the latency profile was written for other features; make it "
                              "again with `dse latency-model profile`.")

    @classmethod
    def load(cls, path: str | Path) -> Profile:
        """Read a profile file (ConfigError naming the file if it is not one)."""
        try:
            return cls(json.loads(Path(path).read_text()))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"latency profile {path} cannot be read ({type(exc).__name__}); "
                              f"make one with `dse latency-model profile --out FILE`.") from None

    def inputs(self) -> list[tuple[int, int]]:
        """(channels, side) of the inputs the profile was fitted on: as written, else read
        from its networks' specs (profiles written before inputs were recorded)."""
        if self.data.get("inputs"):
            return [tuple(x) for x in self.data["inputs"]]
        # lazy: torch/onnx: `dse deploy run` needs only numpy + onnxruntime
        from dse.models.registry import build_config

        return sorted({(3, build_config(s["spec"]).input_size)
                       for s in self.data.get("samples", [])})

    def predict(self, model: nn.Module) -> float:
        """Predicted median latency in ms; a `DseWarning` when the model's input lies
        outside the inputs the profile was fitted on (a prediction there extrapolates)."""
        # lazy: torch/onnx: `dse deploy run` needs only numpy + onnxruntime
        from dse.models import input_channels, input_size

        fitted, c, side = self.fitted_inputs, input_channels(model), input_size(model)
        if fitted and (c not in {x[0] for x in fitted} or not
                       min(x[1] for x in fitted) <= side <= max(x[1] for x in fitted)):
            sides = sorted({x[1] for x in fitted})
            warnings.warn(DseWarning(
                f"the latency profile was fitted on {'/'.join(str(x[0]) for x in fitted[:1])}"
                f"-channel inputs of {sides[0]}-{sides[-1]} px; a {c}x{side}x{side} input lies "
                f"outside, so its predicted latency is an extrapolation (profile a board at "
                f"this input: `dse latency-model profile`)."), stacklevel=2)
        return float(vector(features(model)) @ self.coef)

    @functools.cached_property
    def fitted_inputs(self) -> list[tuple[int, int]]:
        """`inputs()`, read once."""
        return self.inputs()

    def describe(self) -> str:
        """'onnxruntime 1.23, 1 thread(s), batch 1, AMD EPYC, inputs 3x24-32 px'."""
        d, fitted = self.data, self.fitted_inputs
        sides = sorted({x[1] for x in fitted})
        inputs = (f", inputs {'/'.join(sorted({str(x[0]) for x in fitted}))}x{sides[0]}-"
                  f"{sides[-1]} px" if fitted else "")
        return (f"{d['runtime']}, {d['threads']} thread(s), batch {d['batch']}, "
                f"{d.get('cpu', '?')}{inputs}")


@functools.cache
def _profile(path: str, mtime: float) -> Profile:
    return Profile.load(path)


def active_profile() -> Profile:
    """The profile named by $DSE_LATENCY_PROFILE, else the one shipped with dse (measured
    on this project's machine)."""
    path = Path(os.environ.get("DSE_LATENCY_PROFILE") or DEFAULT_PROFILE)
    if not path.is_file():
        raise ConfigError(f"latency profile {path} does not exist; set DSE_LATENCY_PROFILE to "
                          f"a file written by `dse latency-model profile`.")
    return _profile(str(path), path.stat().st_mtime)

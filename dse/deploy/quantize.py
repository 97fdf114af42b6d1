"""Post-training static int8 quantisation with onnxruntime: QDQ format, per-channel int8
weights, uint8 activations (the U8S8 pairing onnxruntime recommends for x86 CPUs),
activation ranges calibrated (min-max) on images the model was not tested on.

Weights use 7 bits of the int8 range (onnxruntime's reduce_range): x86 CPUs without VNNI
(AVX2 and plain AVX-512) multiply U8S8 pairs with VPMADDUBSW, whose 16-bit sums saturate
for 8-bit weights (255 x 127 x 2 > 32,767), so one int8 file gave 62.5 % on an AVX2-only
AMD EPYC and 75.95 % on VNNI CPUs; with |w| <= 64 no sum saturates, so CPUs with and
without VNNI compute the same integer sums."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np


class _Reader:
    """onnxruntime's CalibrationDataReader protocol over a float32 NCHW array."""

    def __init__(self, name: str, x: np.ndarray, batch: int = 64):
        self.name, self.x, self.batch, self.i = name, x, batch, 0

    def get_next(self):  # noqa: D102
        if self.i >= len(self.x):
            return None
        out = {self.name: np.ascontiguousarray(self.x[self.i:self.i + self.batch], np.float32)}
        self.i += self.batch
        return out

    def rewind(self) -> None:  # noqa: D102
        self.i = 0


def compact(model):
    """The int8 graph with short tensor names ('t1f'), no node names and no value_info.

    The quantiser names every tensor after the float32 one it comes from, plus a suffix
    ('stages.0.0.main.0.0.bias_quantized_zero_point'), and each name is stored once per
    use: for hps-06-0.5x that is a third of the file. The runtime needs names only to be
    unique; the graph's input and output keep theirs, value_info is re-inferred at load.
    """
    graph = model.graph
    keep = {v.name for v in (*graph.input, *graph.output)} | {""}
    names: dict[str, str] = {}

    def short(name: str) -> str:
        if name in keep:
            return name
        if name not in names:
            names[name] = f"t{len(names):x}"
        return names[name]

    for t in graph.initializer:
        t.name = short(t.name)
    for node in graph.node:
        node.name = ""
        node.input[:] = [short(n) for n in node.input]
        node.output[:] = [short(n) for n in node.output]
    del graph.value_info[:]
    return model


def quantize_int8(fp32: Path, out: Path, calibration: np.ndarray) -> dict:
    """Write the int8 QDQ model of `fp32` to `out`; returns what was done, for the card."""
    # lazy: onnx only when exporting or quantizing; onnxruntime only when a model runs
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    src = onnx.load(fp32)
    meta = {p.key: p.value for p in src.metadata_props}
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # onnxruntime logs per-tensor notes on BN to the root logger
    try:
        with tempfile.TemporaryDirectory() as tmp:
            pre = Path(tmp) / "pre.onnx"
            quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
            q = Path(tmp) / "q.onnx"
            quantize_static(str(pre), str(q), _Reader(src.graph.input[0].name, calibration),
                            quant_format=QuantFormat.QDQ, per_channel=True, reduce_range=True,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                            calibrate_method=CalibrationMethod.MinMax)
            model = compact(onnx.load(q))
    finally:
        root.setLevel(level)
    del model.metadata_props[:]
    for key, value in {**meta, "dse.precision": "int8"}.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    tmp_out = out.with_name(f".{out.name}.tmp")
    onnx.save(model, tmp_out)
    tmp_out.replace(out)
    return {"format": "QDQ", "weights": "int8 per channel, 7-bit range (no saturation "
            "without VNNI)", "activations": "uint8 per tensor",
            "calibration": "min-max", "calibration_images": int(len(calibration))}

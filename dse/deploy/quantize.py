"""Post-training static int8 quantisation with onnxruntime: QDQ format, per-channel int8
weights, uint8 activations (the U8S8 pairing onnxruntime recommends for x86 CPUs),
activation ranges calibrated (min-max) on images the model was not tested on."""

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


def quantize_int8(fp32: Path, out: Path, calibration: np.ndarray) -> dict:
    """Write the int8 QDQ model of `fp32` to `out`; returns what was done, for the card."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    logging.getLogger().setLevel(logging.ERROR)  # onnxruntime's per-tensor notes on BN
    src = onnx.load(fp32)
    meta = {p.key: p.value for p in src.metadata_props}
    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
        q = Path(tmp) / "q.onnx"
        quantize_static(str(pre), str(q), _Reader(src.graph.input[0].name, calibration),
                        quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax)
        model = onnx.load(q)
    del model.metadata_props[:]
    for key, value in {**meta, "dse.precision": "int8"}.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    tmp_out = out.with_name(f".{out.name}.tmp")
    onnx.save(model, tmp_out)
    tmp_out.replace(out)
    return {"format": "QDQ", "weights": "int8 per channel", "activations": "uint8 per tensor",
            "calibration": "min-max", "calibration_images": int(len(calibration))}

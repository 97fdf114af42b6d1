"""onnxruntime sessions as dse uses them: CPU, fixed thread count, sequential execution."""

from __future__ import annotations

from pathlib import Path

from dse.errors import ConfigError


def session(path: str | Path, threads: int = 1):
    """An onnxruntime CPU session with `threads` intra-op threads (1 inter-op thread)."""
    # lazy: onnxruntime only when a model runs
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001  (onnxruntime raises its own types)
        raise ConfigError(f"{path} is not an ONNX model onnxruntime can load "
                          f"({type(exc).__name__}: {str(exc).splitlines()[0][:160]}); give a "
                          f"file written by `dse export --format onnx`.") from None


def metadata(sess) -> dict[str, str]:
    """The model's metadata_props (dse writes preprocessing and labels there)."""
    return dict(sess.get_modelmeta().custom_metadata_map)

"""`dse export`: model -> file (a registered format) -> verified against PyTorch on real
test images -> optional int8 -> measured -> a model card beside the file."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from dse import __version__, hardware
from dse.data import data_info
from dse.deploy import card as cards
from dse.deploy.exporters import get_exporter
from dse.deploy.images import batches, normalise
from dse.deploy.latency import measure
from dse.errors import ConfigError, DseError
from dse.models import input_size

FLOAT32_AGREEMENT, FLOAT32_MAX_DIFF = 1.0, 1e-4


class ExportError(DseError):
    """The exported file does not behave like the PyTorch model: nothing is kept."""

    exit_code = 1


def class_names(dataset: str, data_dir=None) -> list[str]:
    """Label names of a data set (CIFAR-100's fine labels by index)."""
    return list(data_info(dataset, data_dir).classes)


def eval_images(dataset: str, size: int, data_dir=None, limit: int | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 NCHW, labels) of the test set at the model's input size, the first `limit`."""
    # lazy: torch/onnx: `dse deploy run` needs only numpy + onnxruntime
    from dse.data import load_files, resize

    _, test = load_files(dataset, data_dir)
    test = resize(test, size)
    n = len(test) if limit is None else min(limit, len(test))
    return test.images[:n].numpy(), test.labels[:n].numpy()


def calibration_images(dataset: str, size: int, count: int, data_dir=None, seed: int = 0
                       ) -> np.ndarray:
    """`count` training images (never test images), seeded, uint8 NCHW at the input size."""
    # lazy: torch/onnx: `dse deploy run` needs only numpy + onnxruntime
    from dse.data import load_files, resize

    train, _ = load_files(dataset, data_dir)
    idx = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))[:count]
    return resize(type(train)(train.images[idx], train.labels[idx]), size).images.numpy()


def _accuracy(run, x: np.ndarray, y: np.ndarray, batch: int = 250) -> float:
    preds = np.concatenate([run(b).argmax(1) for b in batches(x, batch)])
    return float((preds == y).mean())


def verify(reference, run, x: np.ndarray) -> dict:
    """Top-1 agreement and the largest absolute difference of the logits on `x`."""
    agree, diff = 0, 0.0
    for b in batches(x, 250):
        a, e = reference(b), run(b)
        agree += int((a.argmax(1) == e.argmax(1)).sum())
        diff = max(diff, float(np.abs(a - e).max()))
    return {"images": int(len(x)), "top1_agreement": agree / len(x), "max_abs_diff": diff}


def export_model(model: torch.nn.Module, spec: dict, dataset: str, fmt: str, out: Path, *,
                 int8: bool = False, data_dir=None, verify_images: int = 1000,
                 calibration: int = 512, threads: int = 1, provenance: dict | None = None,
                 command: str = "", progress=print) -> dict:
    """Export, verify, optionally quantise, measure; write the card; return the card."""
    exporter = get_exporter(fmt)
    out = Path(out)
    if out.suffix != exporter.suffix:
        raise ConfigError(f"--out {out} should end in {exporter.suffix} for --format {fmt}.")
    if out.is_dir():
        raise ConfigError(f"--out {out} is a folder; give a file name ending in "
                          f"{exporter.suffix}.")
    if int8 and fmt != "onnx":
        raise ConfigError("--int8 quantises with onnxruntime: use it with --format onnx.")
    model = model.float().cpu().eval()
    size, data = input_size(model), data_info(dataset, data_dir)
    mean, std, channels = list(data.mean), list(data.std), data.channels
    meta = {"dse.model": json.dumps(spec), "dse.dataset": dataset, "dse.input_size": str(size),
            "dse.mean": json.dumps(mean), "dse.std": json.dumps(std),
            "dse.classes": json.dumps(class_names(dataset, data_dir)),
            "dse.channels": str(channels), "dse.version": __version__,
            "dse.precision": "float32"}
    x_u8, y = eval_images(dataset, size, data_dir)
    x = normalise(x_u8, mean, std)
    example = torch.from_numpy(x[:2])
    t0 = time.perf_counter()
    progress(f"exporting {spec['name']} to {fmt} ...")
    info = exporter.export(model, example, out, meta)
    info["seconds"] = round(time.perf_counter() - t0, 1)

    def reference(b: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return model(torch.from_numpy(b)).numpy()

    run = exporter.load(out, threads=max(1, torch.get_num_threads()))
    check = verify(reference, run, x[:verify_images])
    progress(f"verified on {check['images']:,} test images: top-1 agreement "
             f"{check['top1_agreement']:.2%}, largest |difference| {check['max_abs_diff']:.2e}")
    if check["top1_agreement"] < FLOAT32_AGREEMENT or check["max_abs_diff"] > FLOAT32_MAX_DIFF:
        out.unlink(missing_ok=True)
        raise ExportError(f"the {fmt} export of {spec['name']} disagrees with PyTorch "
                          f"(agreement {check['top1_agreement']:.2%}, largest difference "
                          f"{check['max_abs_diff']:.2e}); nothing was kept. Please report it.")
    card = {"file": out.name, "format": fmt, "export": info, "verification": check,
            "model": spec, "dataset": dataset, "input": {
                "shape": ["batch", channels, size, size], "dtype": "float32", "layout": "NCHW",
                "preprocessing": "x = (pixel - 255 * mean) / (255 * std), "
                                 + ("RGB" if channels == 3 else "grayscale"), "mean": mean,
                "std": std}, "classes": class_names(dataset, data_dir),
            "data": data.describe(), **(provenance or {})}
    size_mb = out.stat().st_size / 1e6
    card["float32"] = {"file_mb": size_mb}
    if fmt == "onnx":
        progress(f"measuring float32 test accuracy on all {len(y):,} test images ...")
        card["float32"]["test_accuracy"] = _accuracy(run, x, y)
        card["float32"]["latency"] = measure(exporter.load(out, threads), x[:1],
                                             "onnxruntime", threads).to_dict()
    if int8:
        # lazy: torch/onnx: `dse deploy run` needs only numpy + onnxruntime
        from dse.deploy.quantize import quantize_int8

        q_path = out.with_name(out.stem + ".int8.onnx")
        progress(f"quantising to int8 with {calibration:,} training images ...")
        calib = normalise(calibration_images(dataset, size, calibration, data_dir), mean, std)
        card["int8"] = {"file": q_path.name, **quantize_int8(out, q_path, calib)}
        q_run = exporter.load(q_path, max(1, torch.get_num_threads()))
        card["int8"]["file_mb"] = q_path.stat().st_size / 1e6
        card["int8"]["test_accuracy"] = _accuracy(q_run, x, y)
        card["int8"]["latency"] = measure(exporter.load(q_path, threads), x[:1],
                                          "onnxruntime", threads).to_dict()
        card["int8"]["order_note"] = int8_note(getattr(model, "dse_config", None),
                                               card["float32"]["latency"]["median_ms"],
                                               card["int8"]["latency"]["median_ms"])
    card["versions"] = _versions()
    card["hardware"] = {**hardware.describe(), "machine": platform.machine(),
                        "flags": hardware.cpu_flags()}
    card["command"] = command
    card["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    cards.write(card, out)
    return card


def int8_note(cfg, float32_ms: float, int8_ms: float, cpu: str | None = None,
              flags: list[str] | None = None) -> str:
    """What int8 measured for this model at export, on this CPU (or the `cpu` and `flags`
    a card recorded; flags None: not recorded), and what the layer order has to do with
    it: BatchNorm before the activation folds into the convolution; after it, it cannot
    and stays a float op between quantise/dequantise pairs."""
    ratio = int8_ms / float32_ms
    if cpu is None:
        cpu, flags = hardware.cpu_name(), hardware.cpu_flags()
    vnni = flags is not None and any(
        f in flags for f in ("avx512_vnni", "avx_vnni", "amx_int8", "asimddp"))
    said = ("its flags were not recorded" if flags is None else
            f"flags: {', '.join(flags) or 'none of note'}; "
            f"{'with' if vnni else 'without'} int8 dot-product instructions")
    measured = (f"Measured at export: int8 {int8_ms:.3f} ms against float32 {float32_ms:.3f} "
                f"ms, {ratio:.2f}x float32's latency ({'faster' if ratio < 1 else 'slower'}), "
                f"onnxruntime, on {cpu} ({said}).")
    order = getattr(cfg, "order", None)
    if order == "conv-act-bn":
        return (measured + " This model's layer order is conv-act-bn (HPS): BatchNorm "
                "follows the activation and cannot fold into the convolution, so int8 pays "
                "quantise/dequantise steps around every BatchNorm; order conv-bn-act lets it "
                "fold (`python bench/int8_order.py` compares both orders on a CPU).")
    if order == "conv-bn-act":
        return measured + (" This model's layer order is conv-bn-act: BatchNorm folds into "
                           "the convolution, the order that suits int8.")
    return measured


def _versions() -> dict:
    # lazy: onnx only when exporting or quantizing; onnxruntime only when a model runs
    import onnx
    import onnxruntime

    return {"dse": __version__, "torch": torch.__version__, "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__, "python": platform.python_version()}

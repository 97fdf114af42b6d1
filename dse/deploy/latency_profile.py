"""Making and checking a latency profile: draw networks from a space, export them to ONNX,
time them in onnxruntime (here, or on a board with `python -m dse.deploy.timing`), fit the
feature costs, and compare predictions with end-to-end measurements of held-out networks.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from dse.deploy import latency_model as lm


def export_all(specs: list[dict], folder: Path, progress=None) -> list[dict]:
    """Export each spec (random weights) to FOLDER/net-NNN.onnx; returns their feature rows."""
    # lazy: torch/onnx: `dse deploy run` needs only numpy + onnxruntime
    from dse.deploy.exporters import get_exporter
    from dse.models import build, input_size

    folder.mkdir(parents=True, exist_ok=True)
    exporter, rows = get_exporter("onnx"), []
    torch.manual_seed(0)
    for i, spec in enumerate(specs):
        model = build(spec).eval()
        side = input_size(model)
        exporter.export(model, torch.randn(2, 3, side, side), folder / f"net-{i:03d}.onnx",
                        {"dse.model": json.dumps(spec)})
        rows.append({"file": f"net-{i:03d}.onnx", "spec": spec, "features": lm.features(model),
                     "input": [3, side]})
        if progress:
            progress(i + 1, len(specs))
    return rows


def make_profile(rows: list[dict], timings: dict) -> dict:
    """The profile: fitted costs, with the samples and the facts of the timing."""
    ms = [timings["files"][r["file"]] for r in rows]
    coef = lm.fit([r["features"] for r in rows], ms)
    pred = [float(lm.vector(r["features"]) @ coef) for r in rows]
    err = [abs(p - m) / m for p, m in zip(pred, ms, strict=True)]
    return {"format": "dse latency profile 1", "features": ["const", *lm.FEATURES],
            "coefficients": coef.tolist(), "runtime": timings["runtime"],
            "threads": timings["threads"], "batch": timings["batch"],
            "cpu": timings.get("cpu"), "cpu_count": timings.get("cpu_count"),
            "rounds": timings.get("rounds"), "created": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                      time.gmtime()),
            "fit": {"networks": len(rows), "median_abs_rel_error": statistics.median(err)},
            "inputs": sorted({tuple(r["input"]) for r in rows if "input" in r}),
            "samples": [{"spec": r["spec"], "features": r["features"], "ms": m}
                        for r, m in zip(rows, ms, strict=True)]}


def validate(profile: lm.Profile, rows: list[dict], timings: dict) -> dict:
    """Predicted against measured on held-out networks: errors and rank correlations."""
    # lazy: scipy costs ~0.5 s to import; only the statistics use it
    from scipy.stats import kendalltau, spearmanr

    ms = np.array([timings["files"][r["file"]] for r in rows])
    pred = np.array([float(lm.vector(r["features"]) @ profile.coef) for r in rows])
    rel = np.abs(pred - ms) / ms
    return {"networks": len(rows), "median_abs_rel_error": float(np.median(rel)),
            "p90_abs_rel_error": float(np.quantile(rel, 0.9)),
            "max_abs_rel_error": float(rel.max()),
            "kendall": float(kendalltau(pred, ms).statistic),
            "spearman": float(spearmanr(pred, ms).statistic),
            "rows": [{"spec": r["spec"], "measured_ms": float(m), "predicted_ms": float(p)}
                     for r, m, p in zip(rows, ms, pred, strict=True)]}

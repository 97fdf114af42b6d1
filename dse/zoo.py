"""Rows of the model-zoo table (`dse models`): every variant, measured, beside the papers."""

from __future__ import annotations

from dse import metrics, reference
from dse.metrics import MeasureContext
from dse.models import create, get_entry, list_models

ZOO_METRICS = ("params", "macs", "size_mb")  # cheap, deterministic: no latency here


def model_rows(pattern: str = "*") -> list[dict]:
    """One dict per registered variant: family config, parameters, MACs, size, papers' size."""
    rows = []
    for name in list_models(pattern):
        entry = get_entry(name)
        model = create(name, num_classes=10)
        row = {"name": name, "family": entry.family, "config": model.dse_config.summary(),
               "dims": model.dse_config.to_spec(), "datasets": list(entry.datasets)}
        for key in ZOO_METRICS:
            row.update(metrics.measure_one(metrics.get_metric(key), model, MeasureContext()))
        for ds in ("cifar10", "cifar100"):
            pub = reference.lookup(entry.paper_name, ds)
            row[f"paper_size_mb_{ds}"] = pub["size_mb"] if pub else None
        row["pretrained"] = None if entry.pretrained is None else {
            "dataset": entry.pretrained.dataset, "test_accuracy": entry.pretrained.test_accuracy,
            "training": entry.pretrained.training, "source": entry.pretrained.source}
        rows.append(row)
    return rows

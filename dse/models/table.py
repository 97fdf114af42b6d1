"""Rows of the model-zoo table (`dse models`)."""

from __future__ import annotations

from dse import measure, reference
from dse.models.registry import create, get_entry, list_models


def model_rows(pattern: str = "*") -> list[dict]:
    """One dict per registered model: config, parameters, MACs, size, the papers' size."""
    rows = []
    for name in list_models(pattern):
        entry = get_entry(name)
        model = create(name, num_classes=10)
        row = {"name": name, "blocks": entry.blocks, "width": entry.width,
               "datasets": list(entry.datasets), **measure.architecture(model)}
        for ds in ("cifar10", "cifar100"):
            pub = reference.lookup(entry.paper_name, ds)
            row[f"paper_size_mb_{ds}"] = pub["size_mb"] if pub else None
        rows.append(row)
    return rows

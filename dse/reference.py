"""The papers' published figures (package data copied from shared/reference)."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

TABLE = {"cifar10": "2022 Table 2", "cifar100": "2022 Table 3"}


@cache
def published_rows() -> tuple[dict, ...]:
    """Every row of published_results.csv, numbers as floats."""
    text = resources.files("dse").joinpath("reference/published_results.csv").read_text()
    rows = []
    for row in csv.DictReader(text.splitlines()):
        for key in ("accuracy_pct", "size_mb", "epoch_time_s", "width"):
            row[key] = float(row[key]) if row[key] else None
        rows.append(row)
    return tuple(rows)


def published(dataset: str) -> list[dict]:
    """The 2022 journal's table for `dataset` (the most complete published set); none for
    a data set the papers did not train on (a user's own)."""
    source = TABLE.get(dataset)
    return [r for r in published_rows() if r["source"] == source] if source else []


def lookup(paper_name: str | None, dataset: str) -> dict | None:
    """The published row of one model in the 2022 table of `dataset`, if any."""
    if paper_name is None:
        return None
    return next((r for r in published(dataset) if r["model"] == paper_name), None)

"""Constraints on metrics, parsed once from text like 'size_mb <= 1.0' into objects."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from dse import metrics
from dse.errors import ConfigError


@dataclass(frozen=True)
class Constraint:
    """`metric op bound`, with op '<=' or '>='."""

    metric: str
    op: str
    bound: float
    text: str = field(default="", compare=False)  # as the user wrote it

    @classmethod
    def parse(cls, text: Any) -> Constraint:
        """'size_mb <= 1.0' -> Constraint; ValueError naming what is wrong otherwise.

        A bound may be relative to a registered model: 'predicted_latency_ms <= 1.1x
        hps-06-0.5x' is 1.1 times that model's value of the metric (an architecture metric,
        measured once for CIFAR-10's input), so it means the same on any machine's profile."""
        if isinstance(text, Constraint):
            return text
        shown = repr(str(text)[:80])
        parts = str(text).split() if isinstance(text, str) else []
        if len(parts) == 4 and parts[1] in ("<=", ">=") and parts[2].endswith("x"):
            return cls._relative(parts, shown)
        if len(parts) != 3 or parts[1] not in ("<=", ">="):
            raise ValueError(f"constraint {shown} must read '<metric> <= <number>' or '>=' "
                             f"(or '<metric> <= 1.1x <model>') with a metric from "
                             f"{metrics.study_names()}")
        if parts[0] not in metrics.study_names():
            raise ValueError(f"constraint {shown}: not a metric a study measures; metrics: "
                             f"{metrics.study_names()}")
        try:
            bound = float(parts[2])
        except ValueError:
            raise ValueError(f"constraint {shown}: {parts[2][:40]!r} is not a number") from None
        if not math.isfinite(bound):
            raise ValueError(f"constraint {shown}: the bound must be a finite number")
        return cls(parts[0], parts[1], bound, " ".join(parts))

    @classmethod
    def _relative(cls, parts: list[str], shown: str) -> Constraint:
        name, factor = parts[3], parts[2][:-1]
        if parts[0] not in metrics.study_names() or not metrics.get_metric(parts[0]).arch:
            raise ValueError(f"constraint {shown}: a bound relative to a model needs an "
                             f"architecture metric (size_mb, params, macs, "
                             f"predicted_latency_ms...), not {parts[0][:40]!r}")
        try:
            f = float(factor)
        except ValueError:
            raise ValueError(f"constraint {shown}: {parts[2][:40]!r} is not a factor such as "
                             f"1.1x") from None
        if not (math.isfinite(f) and f > 0):
            raise ValueError(f"constraint {shown}: the factor must be a positive number")
        return cls(parts[0], parts[1], f * _model_value(parts[0], name, shown),
                   " ".join(parts))

    def __str__(self) -> str:
        return self.text or f"{self.metric} {self.op} {self.bound:g}"

    @property
    def arch(self) -> bool:
        """Whether it can be checked before training."""
        return metrics.get_metric(self.metric).arch

    def excess(self, values: dict) -> float:
        """Optuna's convention: <= 0 where satisfied (or not measured), the excess otherwise."""
        v = values.get(self.metric)
        if v is None:
            return 0.0
        return v - self.bound if self.op == "<=" else self.bound - v

    def broken(self, values: dict) -> str | None:
        """'size_mb=3.665 violates size_mb <= 1' when `values` break it, else None."""
        if self.metric in values and self.excess(values) > 0:
            return f"{self.metric}={values[self.metric]:.4g} violates {self}"
        return None


_VALUES: dict[tuple[str, str], float] = {}


def _model_value(metric: str, name: str, shown: str) -> float:
    """A registered model's value of an architecture metric (CIFAR-10's input), cached."""
    from dse.models import create, list_models  # lazy: torch, only for relative bounds

    if name not in list_models():
        raise ValueError(f"constraint {shown}: {name[:60]!r} is not a registered model "
                         f"(`dse models` lists them)")
    if (metric, name) not in _VALUES:
        model = create(name).eval()
        got = metrics.measure_one(metrics.get_metric(metric), model, metrics.MeasureContext(3))
        _VALUES[(metric, name)] = got[metric]
    return _VALUES[(metric, name)]


def parse_all(texts: list) -> list[Constraint]:
    """Parse a list of constraint strings; a ConfigError for the first bad one."""
    try:
        return [Constraint.parse(t) for t in texts]
    except ValueError as exc:
        raise ConfigError(f"{exc}.") from None


def violations(constraints: list[Constraint], values: dict, arch_only: bool = False
               ) -> list[str]:
    """Reasons why `values` break the constraints (only architecture ones if asked)."""
    return [r for c in constraints if (c.arch or not arch_only)
            and (r := c.broken(values)) is not None]

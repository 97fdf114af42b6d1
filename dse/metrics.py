"""Metrics as data: one registry that spaces, the objective, the store, Pareto analysis,
reports and CLI tables all iterate over.

A metric is either known before training (``arch=True``: measured on the freshly built
model, used to reject candidates at no training cost) or measured after training from the
trained model and its epoch history. To add one, decorate its measure function with
`@register_metric("name", direction=..., label=..., unit=..., arch=...)` (from dse's own
code or a plugin module; docs/extending.md).
No torch import here: `dse pareto` and the reports stay light.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from dse.registry import Registry


@dataclass
class MeasureContext:
    """What a metric may use besides the model: the fidelity's settings and the history."""

    latency_repeats: int = 30
    history: list[dict] = field(default_factory=list)  # epoch rows, empty before training
    dataset: str = "cifar10"


Measure = Callable[[Any, MeasureContext], "float | Mapping[str, float]"]


@dataclass(frozen=True, kw_only=True)
class Metric:
    """One measurable quantity of a candidate.

    `measure(model, ctx)` returns the value, or a mapping holding the value under `name`
    plus extra figures stored beside it (latency's p90, say). `scale` turns the stored
    value into the shown one (accuracy is stored as a fraction, shown in %).
    """

    name: str
    direction: Literal["maximize", "minimize"]
    label: str
    unit: str
    arch: bool
    measure: Measure
    scale: float = 1.0
    digits: str = ".4g"
    published: str | None = None  # the column of published_results.csv, if the papers give it
    expensive: bool = False  # measured only when a study uses it (objective or constraint)
    by_study: bool = True  # False: measured elsewhere (dse confirm), shown beside the rest
    timed: bool = False  # a wall-clock figure: another process on the cores distorts it

    @property
    def title(self) -> str:
        """Label with unit, for axes and column headers: 'float32 size (MB)'."""
        return f"{self.label} ({self.unit})" if self.unit else self.label

    @property
    def header(self) -> str:
        """Short column header with unit: 'size_mb (MB)'."""
        return f"{self.name} ({self.unit})" if self.unit else self.name

    def shown(self, value: float) -> float:
        """The value as displayed (scaled)."""
        return value * self.scale

    def format(self, value: Any) -> str:
        """The value as text in the metric's unit; '-' when missing or not finite."""
        if value is None or not isinstance(value, int | float) or (
                isinstance(value, float) and not math.isfinite(value)):
            return "-"
        return format(self.shown(value), self.digits)


METRICS: Registry[Metric] = Registry("metric")


def register_metric(name: str, *, replace: bool = False, **fields: Any
                    ) -> Callable[[Measure], Measure]:
    """`@register_metric("name", direction=..., label=..., unit=..., arch=..., ...)` on the
    measure function `(model, ctx) -> value`: the metric's fields are `Metric`'s (a name
    already taken needs `replace=True`)."""
    if not str(name).isidentifier():
        raise ValueError(f"metric names are identifiers, got {name!r}")
    if fields.get("direction") not in ("maximize", "minimize"):
        raise ValueError(f"direction is 'maximize' or 'minimize', got {fields.get('direction')!r}")

    def wrap(measure: Measure) -> Measure:
        METRICS.register(name, Metric(name=name, measure=measure, **fields), replace=replace)
        return measure
    return wrap


def get_metric(name: str) -> Metric:
    """The registered metric `name`, or an UnknownName listing the metrics that exist."""
    return METRICS.get(name)


def all_metrics() -> list[Metric]:
    """Every registered metric, built-ins first, in registration order."""
    return METRICS.values()


def names() -> list[str]:
    """Names of every registered metric."""
    return [m.name for m in METRICS.values()]


def study_names() -> list[str]:
    """Metrics a study measures itself (objectives and constraints may use only these;
    `test_accuracy` comes from `dse confirm`)."""
    return [m.name for m in METRICS.values() if m.by_study]


def directions(metric_names: Iterable[str]) -> list[str]:
    """Optuna directions of the named metrics, in order."""
    return [get_metric(n).direction for n in metric_names]


def measure_one(metric: Metric, model: Any, ctx: MeasureContext) -> dict[str, float]:
    """One metric's value (and extras) as {name: value}."""
    out = metric.measure(model, ctx)
    if isinstance(out, Mapping):
        return {k: float(v) for k, v in out.items()}
    return {metric.name: float(out)}


def measure_architecture(model: Any, ctx: MeasureContext, wanted: Iterable[str] = (),
                         skip: Iterable[str] = ()) -> dict[str, float]:
    """The architecture-only metrics (and extras) of a freshly built model: every cheap one
    and the expensive ones named in `wanted`, except those in `skip` (already known)."""
    wanted, skip = set(wanted), set(skip)
    values: dict[str, float] = {}
    for m in all_metrics():
        if m.arch and m.by_study and m.name not in skip and (
                not m.expensive or m.name in wanted):
            values.update(measure_one(m, model, ctx))
    return values


def measure_trained(model: Any, ctx: MeasureContext) -> dict[str, float]:
    """Every metric that needs training, from the trained model and `ctx.history`."""
    values: dict[str, float] = {}
    for m in all_metrics():
        if not m.arch and m.by_study:
            values.update(measure_one(m, model, ctx))
    return values


def mean_of_repeats(runs: list[dict[str, float]]) -> dict[str, Any]:
    """Mean of each trained metric over repeats, with `<name>_std` (population) beside it."""
    out: dict[str, Any] = {}
    for key in runs[0]:
        xs = [r[key] for r in runs]
        out[key] = statistics.fmean(xs)
        out[f"{key}_std"] = statistics.pstdev(xs) if len(xs) > 1 else 0.0
    return out


# ---------------------------------------------------------------- the built-in metrics

@register_metric("accuracy", direction="maximize", label="validation accuracy", unit="%",
                 arch=False, scale=100, digits=".2f", published="accuracy_pct")
def _accuracy(model, ctx: MeasureContext) -> float:
    return ctx.history[-1]["val_acc"]


@register_metric("size_mb", direction="minimize", label="float32 size", unit="MB", arch=True,
                 digits=".3f", published="size_mb")
def _size(model, ctx: MeasureContext) -> float:
    # lazy: torch costs ~1.5 s to import; reports and `dse pareto` read names only
    from dse import measure

    return measure.size_mb(model)


@register_metric("params", direction="minimize", label="parameters", unit="", arch=True,
                 digits=",.0f")
def _params(model, ctx: MeasureContext) -> float:
    # lazy: torch costs ~1.5 s to import; reports and `dse pareto` read names only
    from dse import measure

    return measure.count_params(model)


@register_metric("macs", direction="minimize", label="MACs per image", unit="", arch=True,
                 digits=",.0f")
def _macs(model, ctx: MeasureContext) -> float:
    # lazy: torch costs ~1.5 s to import; reports and `dse pareto` read names only
    from dse import measure

    return measure.count_macs(model)


@register_metric("latency_ms", direction="minimize", label="CPU latency, batch 1, 1 thread",
                 unit="ms", arch=True, digits=".2f", timed=True)
def _latency(model, ctx: MeasureContext) -> Mapping[str, float]:
    # lazy: torch costs ~1.5 s to import; reports and `dse pareto` read names only
    from dse import measure

    return measure.cpu_latency_ms(model, ctx.latency_repeats, warmup=1)


@register_metric("epoch_time_s", direction="minimize", label="epoch time, train + eval",
                 unit="s", arch=False, digits=".2f", published="epoch_time_s", timed=True)
def _epoch_time(model, ctx: MeasureContext) -> float:
    return statistics.fmean(r["epoch_s"] for r in ctx.history)


@register_metric("train_images_per_s", direction="maximize", label="training throughput",
                 unit="img/s", arch=False, digits=",.0f", timed=True)
def _throughput(model, ctx: MeasureContext) -> float:
    return ctx.history[-1]["train_images_per_s"]


@register_metric("test_accuracy", direction="maximize", label="confirmed test accuracy",
                 unit="%", arch=False, scale=100, digits=".2f", published="accuracy_pct",
                 by_study=False)
def _confirmed(model, ctx: MeasureContext) -> float:
    raise RuntimeError("test_accuracy is measured by `dse confirm`, not by a study")


def _ort_latency(model, ctx: MeasureContext, int8: bool = False) -> Mapping[str, float]:
    # lazy: torch costs ~1.5 s to import; reports and `dse pareto` read names only
    from dse.deploy.latency import time_model

    lat = time_model(model, "onnxruntime", int8, threads=1, batch=1,
                     min_runs=max(20, ctx.latency_repeats), min_seconds=0.3)
    name = "ort_int8_latency_ms" if int8 else "ort_latency_ms"
    return {name: lat.median_ms, name.replace("_ms", "_p90_ms"): lat.p90_ms}


register_metric("ort_latency_ms", direction="minimize",
                label="onnxruntime float32 latency, batch 1, 1 thread", unit="ms", arch=True,
                digits=".3f", expensive=True, timed=True)(_ort_latency)


@register_metric("predicted_latency_ms", direction="minimize",
                 label="predicted onnxruntime latency, batch 1, 1 thread (latency model)",
                 unit="ms", arch=True, digits=".3f")
def _predicted_latency(model, ctx: MeasureContext) -> float:
    # lazy: torch costs ~1.5 s to import; reports and `dse pareto` read names only
    from dse.deploy.latency_model import active_profile

    return active_profile().predict(model)


@register_metric("ort_int8_latency_ms", direction="minimize",
                 label="onnxruntime int8 latency, batch 1, 1 thread", unit="ms", arch=True,
                 digits=".3f", expensive=True, timed=True)
def _ort_int8_latency(model, ctx: MeasureContext) -> Mapping[str, float]:
    return _ort_latency(model, ctx, int8=True)

"""Build a study's report folder: index, Pareto, hypervolume, parameters, trials, trial pages."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from dse import metrics
from dse.fileio import atomic_write_text
from dse.paths import output_folder, study_folder
from dse.records import CURVE_FIELDS, Status
from dse.report import figures as F
from dse.report.data import (
    NOT_MEASURED,
    column_label,
    format_value,
    load_study,
    load_study_frame,
    measurement_columns,
    metric_of,
    pareto_mask,
    proxy_correlation,
)
from dse.report.html import figure_html, page, table_html, write_plotlyjs
from dse.store import Store


def table_columns(frame: pd.DataFrame, details: bool = True) -> list[str]:
    """trial, status, model, recipe, every registered metric held (accuracy with its std),
    then duration and reason when `details`."""
    cols = ["trial", "status", "model", "recipe"]
    for name in measurement_columns(frame):
        if not frame[name].notna().any():
            continue
        cols.append(name)
        if f"{name}_std" in frame.columns and frame[f"{name}_std"].fillna(0).any():
            cols.append(f"{name}_std")
    return cols + (["duration_s", "reason"] if details else [])


def _plots_against(frame: pd.DataFrame, objectives: list[str]) -> list[str]:
    """x axes of the 2-D projections: the other objectives, then size, latency, epoch time."""
    xs = [o for o in objectives[1:]]
    for extra in ("size_mb", "latency_ms", "epoch_time_s"):
        if extra not in xs and extra != objectives[0] and extra in frame.columns \
                and frame[extra].notna().any():
            xs.append(extra)
    return xs


def _meta(frame: pd.DataFrame) -> str:
    counts = frame["status"].value_counts().to_dict() if len(frame) else {}
    parts = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
    e = html.escape
    return (f"study <b>{e(str(frame.attrs['study']))}</b> on "
            f"{e(str(frame.attrs.get('dataset')))} at fidelity "
            f"<b>{e(str(frame.attrs.get('fidelity')))}</b>; {len(frame)} trials "
            f"({e(parts) or 'none yet'}); objectives "
            f"{e(', '.join(map(str, frame.attrs['objectives'])))}; generated "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC. Accuracy is on the held-out "
            f"validation split; sizes are float32 state_dict bytes / 1e6.")


def _fidelity_note(frame: pd.DataFrame) -> str:
    return ('<p class="note">The papers\' points are 200-epoch results on the full training set '
            "with epoch times on their GPUs. A study at a lower fidelity or on another device is "
            "not directly comparable on accuracy or epoch time; sizes compare directly.</p>")


def pareto_page(frame: pd.DataFrame, objectives: list[str], out: Path,
                refresh: int | None = None) -> Path:
    """Write pareto.html (the study's objectives) or pareto-A-B.html (a projection onto
    other objectives): the 2-D projections, the 3-D view and the front's table."""
    write_plotlyjs(out)
    plots = [figure_html(F.pareto_2d(frame, x, objectives[0]), f"p2d-{x}")
             for x in _plots_against(frame, objectives)]
    if len(objectives) == 3:
        plots.append(figure_html(F.pareto_3d(frame, objectives), "p3d"))
    front = pareto_mask(frame, objectives)
    body = (_fidelity_note(frame) + "".join(plots) +
            f"<h2>non-dominated trials on {', '.join(objectives)}</h2>" +
            table_html(frame[front], table_columns(frame, details=False)))
    own = list(objectives) == list(frame.attrs.get("objectives", []))
    path = out / ("pareto.html" if own else "pareto-" + "-".join(objectives) + ".html")
    atomic_write_text(page(f"{frame.attrs['study']}: Pareto front", _meta(frame), body,
                           refresh), path)
    return path


def build_report(study_name: str, storage: str | None = None, out: Path | None = None,
                 refresh: int | None = None) -> Path:
    """Write every page of a study's report; returns the index page."""
    store = Store(storage, create=False)
    frame = load_study_frame(study_name, store=store)
    out = Path(out) if out else study_folder("reports", study_name)
    output_folder(out)
    objectives = frame.attrs["objectives"]
    meta = _meta(frame)
    pareto_page(frame, objectives, out, refresh)
    study = load_study(study_name, store)
    front = pareto_mask(frame, objectives)
    pages = {
        "history.html": figure_html(F.hypervolume_figure(frame, objectives), "hv"),
        "parameters.html": figure_html(F.parallel_figure(frame, objectives), "par") +
        figure_html(
            F.importance_figure(study, objectives), "imp"),
        "trials.html": "<p>Click a column to sort; the Pareto front is shaded.</p>" +
        table_html(frame, table_columns(frame), front),
        "confirmed.html": confirmed_body(frame),
    }
    for name, body in pages.items():
        atomic_write_text(page(f"{study_name}: {name.removesuffix('.html')}", meta, body,
                               refresh), out / name)
    epochs = store.epochs([int(i) for i in frame["dse_id"].dropna()])
    by_trial: dict[int, list[dict]] = {}
    for e in epochs:
        by_trial.setdefault(e.trial_id, []).append(
            {k: getattr(e, k) for k in ("repeat", "lr", *CURVE_FIELDS)})
    for _, row in frame.iterrows():
        trial_page(row, by_trial.get(row["dse_id"], []), meta, out, refresh)
    index = ("<ul>" + "".join(f'<li><a href="{f}">{t}</a></li>' for f, t in (
        ("pareto.html", "Pareto front: accuracy against size, epoch time and latency, in 2-D "
                        "and 3-D, with the papers' published models"),
        ("history.html", "hypervolume against trials and wall time"),
        ("parameters.html", "parallel coordinates and parameter importance"),
        ("trials.html", "every trial in a sortable table"),
        ("confirmed.html", "confirmed test accuracies (dse confirm) and whether the study's "
                           "proxy ranking holds"))) + "</ul>" +
        confirmed_summary(frame) +
        f"<h2>current front ({int(front.sum())} trials)</h2>" +
        table_html(frame[front], table_columns(frame, details=False)))
    atomic_write_text(page(f"{study_name}: report", meta, index, refresh), out / "index.html")
    return out / "index.html"


def confirmed_summary(frame: pd.DataFrame) -> str:
    """One paragraph for the index: how many trials were confirmed, and the correlation."""
    if "test_accuracy" not in frame or not frame["test_accuracy"].notna().any():
        return ('<p class="note">No trial is confirmed yet: the accuracies here are the '
                "study's proxy figures on a validation split. <code>dse confirm --study "
                f"{html.escape(str(frame.attrs['study']))}</code> retrains the front on the "
                "whole training set and tests it.</p>")
    c = proxy_correlation(frame)
    best = frame.loc[frame["test_accuracy"].idxmax()]
    corr = ("too few confirmed trials for a rank correlation" if c["n"] < 3 else
            f"search vs confirmed rank correlation over {c['n']} trials: Spearman "
            f"{c['spearman']:.2f}, Kendall {c['kendall']:.2f}")
    base = "".join(f"; baseline {html.escape(b['name'])} {b['test_accuracy'] * 100:.2f} % "
                   f"({b['epochs']} epochs, {b['seeds']} seed(s))"
                   for b in frame.attrs.get("baselines", []))
    return (f"<p><b>{int(frame['test_accuracy'].notna().sum())} trials confirmed</b>; best "
            f"confirmed test accuracy {best['test_accuracy'] * 100:.2f} % (trial "
            f"{int(best['trial'])}, {int(best['confirmed_epochs'])} epochs, "
            f"{int(best['confirmed_seeds'])} seed(s)){base}; {corr}.</p>")


def baselines_html(base: list[dict]) -> str:
    """The papers' models confirmed the same way, as a small table."""
    if not base:
        return ""
    rows = "".join(
        f"<tr><td>{html.escape(b['name'])}</td><td class=num>{b['test_accuracy'] * 100:.2f} "
        f"± {b['test_accuracy_std'] * 100:.2f}</td><td class=num>{b['seeds']}</td>"
        f"<td class=num>{b['epochs']}</td><td class=num>{b.get('size_mb', float('nan')):.3f}"
        f"</td></tr>" for b in base)
    return ("<h2>baselines: the papers' models, trained the same way (default recipe)</h2>"
            "<table><tr><th>model</th><th>test accuracy (%)</th><th>seeds</th><th>epochs</th>"
            f"<th>size (MB)</th></tr>{rows}</table>")


def confirmed_body(frame: pd.DataFrame) -> str:
    """The confirmation page: proxy vs confirmed scatter, the front on test accuracy with the
    papers' published points, and the confirmed trials' table."""
    if "test_accuracy" not in frame or not frame["test_accuracy"].notna().any():
        return confirmed_summary(frame) + baselines_html(frame.attrs.get("baselines", []))
    done = frame[frame["test_accuracy"].notna()]
    cols = ["trial", "model", "recipe", "accuracy", "test_accuracy", "test_accuracy_std",
            "confirmed_seeds", "confirmed_epochs", "size_mb", "macs", "latency_ms",
            *sorted(c for c in done.columns if c.startswith("confirmed_")
                    and metric_of(c) is not None)]
    cols = [c for c in cols if c in done.columns]
    base = frame.attrs.get("baselines", [])
    front = F.pareto_2d(done.assign(status=Status.COMPLETE, feasible=True), "size_mb",
                        "test_accuracy")
    if base:
        F.add_baselines(front, base)
    return (confirmed_summary(frame) + baselines_html(base) +
            figure_html(F.proxy_vs_confirmed(done, proxy_correlation(frame)), "pvc") +
            figure_html(front, "conf-front") +
            '<p class="note">Confirmed runs train on all training images and report the test '
            "set; the papers' points are their published 200-epoch results. Epochs differ "
            "unless the confirmation ran 200 epochs.</p>" +
            table_html(done, cols))


def trial_page(row: pd.Series, epochs: list[dict], meta: str, out: Path,
               refresh: int | None = None) -> Path:
    """Write one trial's page: curves, measurements, config."""
    keys = ["status", "model", "recipe"]
    for m in metrics.all_metrics():
        keys += [k for k in (m.name, f"{m.name}_std") if k in row.index]
    keys += [k for k in row.index if k not in keys and k not in NOT_MEASURED]
    keys += ["duration_s", "reason", "checkpoint"]
    cells = "".join(f"<tr><th>{html.escape(column_label(k))}</th><td>"
                    f"{html.escape(format_value(k, row.get(k)))}</td></tr>" for k in keys)
    reason = str(row.get("reason") or "")
    diverged = reason if "diverged" in reason.lower() else None
    curves = (figure_html(F.curves_figure(epochs, diverged), "curves") if epochs else
              f'<p class="note">{html.escape(diverged)}</p>' if diverged else
              '<p class="note">no epochs recorded (rejected before training, reused from an '
              "identical trial, or still starting)</p>")
    body = (curves + f"<h2>measurements</h2><table>{cells}</table><h2>config</h2>"
            f"<pre>{html.escape(F.config_json(row['candidate']))}</pre>")
    path = out / F.trial_url(row["trial"])
    atomic_write_text(page(f"trial {row['trial']}", meta, body, refresh), path)
    return path

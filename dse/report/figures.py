"""Plotly figures of a study: Pareto scatters, hypervolume, parameters, training curves."""

from __future__ import annotations

import html
import json

import pandas as pd
import plotly.graph_objects as go
from optuna.trial import TrialState
from plotly.subplots import make_subplots

from dse import metrics, pareto, reference
from dse.records import MEASURED, Status
from dse.report.data import pareto_mask
from dse.report.labels import label_positions

FRONT, DOMINATED, INFEASIBLE, PAPER = "#1f77b4", "#b0b0b0", "#e0e0e0", "#d62728"
BASELINE = "#2ca02c"  # the papers' models trained by dse


def trial_url(number: int) -> str:
    """File name of a trial's page, relative to the report folder."""
    return f"trial-{int(number):05d}.html"


def _y(frame: pd.DataFrame, metric: str) -> pd.Series:
    return frame[metric] * metrics.get_metric(metric).scale


def _title(metric: str) -> str:
    return metrics.get_metric(metric).title


def hover(row: pd.Series) -> str:
    """Hover text: the full config and every measurement of one trial."""
    acc = metrics.get_metric("accuracy")
    shown = (f"{acc.format(row['accuracy'])} ± {acc.format(row.get('accuracy_std'))} %"
             if pd.notna(row.get("accuracy")) else "-")
    lines = [f"<b>trial {row['trial']}</b> ({html.escape(str(row['status']))})",
             html.escape(str(row["model"])), html.escape(str(row["recipe"])),
             f"accuracy {shown}"]
    for m in metrics.all_metrics():
        if m.name != "accuracy" and pd.notna(row.get(m.name)):
            lines.append(f"{html.escape(m.label)}: {m.format(row[m.name])} {m.unit}".rstrip())
    lines.append("<i>click for the trial page</i>")
    return "<br>".join(lines)


def _published(dataset: str, x: str, y: str, others: tuple[list, list] = ([], [])
               ) -> go.Scatter | None:
    """The papers' points on (x, y), labels placed for axes that also hold `others`."""
    key = {m.name: m.published for m in metrics.all_metrics() if m.published}
    if x not in key or y not in key:
        return None
    rows = [r for r in reference.published(dataset)
            if r.get(key[x]) is not None and r.get(key[y]) is not None]
    if not rows:
        return None
    xs = [r[key[x]] for r in rows]
    ys = [r[key[y]] for r in rows]
    gpu = rows[0]["gpu"]
    text = [f"<b>{r['model']}</b> (published, {r['source']})<br>accuracy {r['accuracy_pct']}%"
            f"<br>{r['size_mb']} MB<br>{r['epoch_time_s']} s/epoch on {r['gpu']}<br>blocks "
            f"{r['blocks'] or '-'}" for r in rows]
    names = [r["model"] for r in rows]
    positions = label_positions(xs, ys, names, span=(xs + list(others[0]), ys + list(others[1])))
    return go.Scatter(x=xs, y=ys, mode="markers+text", name=f"papers (200 epochs; {gpu})",
                      text=names, textposition=positions,
                      textfont={"size": 9, "color": PAPER}, hovertext=text,
                      hovertemplate="%{hovertext}<extra></extra>",
                      marker={"symbol": "diamond", "size": 9, "color": PAPER})


def pareto_2d(frame: pd.DataFrame, x: str, y: str = "accuracy") -> go.Figure:
    """One objective against another: front highlighted, dominated and infeasible greyed."""
    done = frame[frame["status"].isin(MEASURED)].dropna(subset=[x, y])
    done = done.assign(feasible=done["feasible"].astype(bool))  # bool even when empty
    front = pareto_mask(done, [y, x]) if len(done) else pd.Series(False, index=done.index,
                                                                    dtype=bool)
    fig = go.Figure()
    groups = [("infeasible", done[~done["feasible"]], INFEASIBLE, "x"),
              ("dominated", done[done["feasible"] & ~front], DOMINATED, "circle"),
              ("Pareto front", done[front].sort_values(x), FRONT, "circle")]
    for name, part, colour, symbol in groups:
        fig.add_trace(go.Scatter(
            x=part[x], y=_y(part, y), mode="lines+markers" if name == "Pareto front" else
            "markers", name=f"{name} ({len(part)})", line={"shape": "hv", "width": 1},
            marker={"color": colour, "size": 9, "symbol": symbol,
                    "line": {"width": 1, "color": "#555"}},
            customdata=[trial_url(n) for n in part["trial"]],
            hovertext=[hover(r) for _, r in part.iterrows()],
            hovertemplate="%{hovertext}<extra></extra>"))
    base = done[done["baseline"].notna()] if "baseline" in done else done.iloc[:0]
    if len(base):  # the papers' variants as trials of this study: same fidelity, same recipe
        fig.add_trace(go.Scatter(
            x=base[x], y=_y(base, y), mode="markers+text", name=f"papers' variants trained "
            f"by dse at this fidelity ({len(base)})", text=[html.escape(str(b)) for b in
                                                             base["baseline"]],
            textposition="bottom center", textfont={"size": 10, "color": BASELINE},
            marker={"color": "rgba(0,0,0,0)", "size": 15, "symbol": "diamond-open",
                    "line": {"width": 2, "color": BASELINE}},
            customdata=[trial_url(n) for n in base["trial"]],
            hovertext=[hover(r) for _, r in base.iterrows()],
            hovertemplate="%{hovertext}<extra></extra>"))
    pub = _published(frame.attrs.get("dataset", "cifar10"), x, y,
                     (done[x].tolist(), _y(done, y).tolist()))
    if pub is not None:
        fig.add_trace(pub)
    fig.update_layout(title=f"{_title(y)} vs {_title(x)}", xaxis_title=_title(x),
                      yaxis_title=_title(y), height=520, legend={"orientation": "h", "y": -0.2},
                      margin={"t": 50, "l": 60, "r": 20, "b": 40})
    if x in ("params", "macs"):
        fig.update_xaxes(type="log")
    return fig


def pareto_3d(frame: pd.DataFrame, objectives: list[str]) -> go.Figure:
    """The three objectives in 3-D; front coloured, the rest grey."""
    done = frame[frame["status"].isin(MEASURED)].dropna(subset=objectives)
    front = pareto_mask(done, objectives) if len(done) else pd.Series(False, index=done.index,
                                                                        dtype=bool)
    fig = go.Figure()
    for name, part, colour in (("dominated / infeasible", done[~front], DOMINATED),
                               ("Pareto front", done[front], FRONT)):
        fig.add_trace(go.Scatter3d(
            x=_y(part, objectives[0]), y=_y(part, objectives[1]), z=_y(part, objectives[2]),
            mode="markers", name=f"{name} ({len(part)})", marker={"size": 5, "color": colour},
            customdata=[trial_url(n) for n in part["trial"]],
            hovertext=[hover(r) for _, r in part.iterrows()],
            hovertemplate="%{hovertext}<extra></extra>"))
    fig.update_layout(title="the study's objectives in 3-D", height=620, scene={
        "xaxis_title": _title(objectives[0]), "yaxis_title": _title(objectives[1]),
        "zaxis_title": _title(objectives[2])}, margin={"t": 50, "l": 0, "r": 0, "b": 0})
    return fig


def hypervolume_figure(frame: pd.DataFrame, objectives: list[str]) -> go.Figure:
    """Hypervolume of the feasible front against trials and against wall time."""
    done = frame[(frame["status"] == Status.COMPLETE) & frame["feasible"]].dropna(
        subset=[*objectives, "finished"]).sort_values("finished")
    fig = make_subplots(rows=1, cols=2, subplot_titles=("against completed trials",
                                                        "against wall time (minutes)"))
    if len(done):
        directions = metrics.directions(objectives)
        pts = [pareto.to_minimise([float(r[o]) for o in objectives], directions)
               for _, r in done.iterrows()]
        norm = pareto.normaliser(pts)
        hv = pareto.hypervolume_history([norm(p) for p in pts], [1.1] * len(objectives))
        minutes = (pd.to_datetime(done["finished"]) - pd.to_datetime(
            done["finished"]).min()).dt.total_seconds() / 60
        fig.add_trace(go.Scatter(x=list(range(1, len(hv) + 1)), y=hv, mode="lines+markers",
                                 name="by trial"), 1, 1)
        fig.add_trace(go.Scatter(x=minutes, y=hv, mode="lines+markers", name="by time"), 1, 2)
    fig.update_yaxes(title_text="normalised hypervolume")
    fig.update_layout(title=f"hypervolume of ({', '.join(objectives)}), objectives scaled to "
                            f"[0, 1] over the study, reference point 1.1", height=420,
                      showlegend=False)
    return fig


def parallel_figure(frame: pd.DataFrame, objectives: list[str]) -> go.Figure:
    """Parallel coordinates of the numeric dimensions and measurements of completed trials."""
    done = frame[frame["status"].isin(MEASURED)]
    cols = {}
    for _, r in done.iterrows():
        cand = r["candidate"] or {}
        flat = {**{f"model.{k}": v for k, v in cand.get("model", {}).items()},
                **{f"train.{k}": v for k, v in cand.get("train", {}).items()}}
        for k, v in flat.items():
            if isinstance(v, list) and all(isinstance(x, int | float) for x in v):
                for i, b in enumerate(v):  # blocks1..4, stage_channels1..4, squeeze1..2
                    cols.setdefault(f"{k.split('.', 1)[1]}{i + 1}", {})[r["trial"]] = b
            elif isinstance(v, bool | int | float | str):
                cols.setdefault(k, {})[r["trial"]] = v
    dims = []
    for name, values in cols.items():
        s = pd.Series(values).reindex(done["trial"])
        if s.nunique() < 2:
            continue
        if s.map(lambda v: isinstance(v, str | bool)).any():
            cats = sorted(s.dropna().astype(str).unique())
            codes = s.astype(str).map({c: i for i, c in enumerate(cats)})
            dims.append({"label": html.escape(name), "values": codes,  # user text: Plotly
                         "tickvals": list(range(len(cats))),      # reads <b>, <a> in SVG
                         "ticktext": [html.escape(c) for c in cats]})
        else:
            dims.append({"label": html.escape(name), "values": s.astype(float)})
    for m in objectives[::-1]:
        dims.append({"label": metrics.get_metric(m).header, "values": _y(done, m)})
    first = metrics.get_metric(objectives[0])
    fig = go.Figure(go.Parcoords(dimensions=dims, labelangle=-25, labelside="bottom", line={
        "color": _y(done, first.name), "colorscale": "Viridis", "showscale": True,
        "colorbar": {"title": first.header}}))
    fig.update_layout(title=f"dimensions of completed trials (colour: {first.label})",
                      height=560, margin={"b": 110, "t": 60})
    return fig


def importance_figure(study, objectives: list[str]) -> go.Figure | str:
    """Optuna's fANOVA parameter importance per objective, or why it is not available."""
    # lazy: optuna costs ~1 s to import; only this path uses it
    import optuna

    complete = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
    if len(complete) < 4:
        return f"parameter importance needs at least 4 completed trials ({len(complete)} so far)"
    fig = go.Figure()
    for i, name in enumerate(objectives):
        try:
            imp = optuna.importance.get_param_importances(
                study, target=lambda t, i=i: t.values[i],
                evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0))
        except (ValueError, RuntimeError, ImportError) as exc:
            return f"parameter importance is not available: {exc}"
        fig.add_trace(go.Bar(y=[html.escape(p) for p in list(imp)[::-1]],
                             x=list(imp.values())[::-1], orientation="h",
                             name=name))
        params = len(imp)
    # every parameter gets its own row of bars, however many there are
    fig.update_layout(title=f"parameter importance (Optuna fANOVA), per objective: rests on "
                            f"{len(complete)} completed trials"
                            + (" (few: treat as rough)" if len(complete) < 30 else ""),
                      barmode="group", xaxis_title="importance",
                      height=max(360, 18 * params * len(objectives) + 160))
    fig.update_yaxes(dtick=1, automargin=True)
    return fig


def curves_figure(epochs: list[dict], diverged: str | None = None) -> go.Figure:
    """A trial's training curves per repeat: loss (log axis), accuracy, learning rate, epoch
    time; a diverged run is marked (its non-finite values are not drawn)."""
    fig = make_subplots(rows=2, cols=2, subplot_titles=("loss", "accuracy (%)",
                                                        "learning rate", "epoch time (s)"))
    frame = pd.DataFrame(epochs)
    for rep, part in frame.groupby("repeat") if len(frame) else []:
        tag = f" (seed {rep})"
        for col, r, c, dash in (("train_loss", 1, 1, "dot"), ("val_loss", 1, 1, "solid"),
                                ("train_acc", 1, 2, "dot"), ("val_acc", 1, 2, "solid"),
                                ("lr", 2, 1, "solid"), ("epoch_s", 2, 2, "solid")):
            ys = part[col] * 100 if col.endswith("acc") else part[col]
            fig.add_trace(go.Scatter(x=part["epoch"], y=ys, mode="lines+markers",
                                     name=col + tag, line={"dash": dash}), r, c)
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(type="log", row=1, col=1)  # a diverging loss cannot flatten the rest
    title = "training curves (dotted: training split; loss on a log axis)"
    if diverged:
        title += " | DIVERGED"
        fig.add_annotation(text=f"diverged: {diverged[:120]}", xref="paper", yref="paper",
                           x=0.5, y=1.08, showarrow=False, font={"color": PAPER, "size": 14})
    fig.update_layout(height=620, title=title)
    return fig


def config_json(candidate: dict) -> str:
    """Pretty JSON of a candidate config."""
    return json.dumps(candidate, indent=2, default=str)


def proxy_vs_confirmed(done: pd.DataFrame, corr: dict) -> go.Figure:
    """Each confirmed trial: the study's proxy accuracy against its confirmed test accuracy."""
    fig = go.Figure(go.Scatter(
        x=done["accuracy"] * 100, y=done["test_accuracy"] * 100, mode="markers+text",
        text=[str(int(t)) for t in done["trial"]], textposition="top center",
        error_y={"type": "data", "array": (done["test_accuracy_std"].fillna(0) * 100)},
        customdata=[trial_url(n) for n in done["trial"]],
        hovertext=[hover(r) for _, r in done.iterrows()],
        hovertemplate="%{hovertext}<extra></extra>", marker={"size": 10, "color": FRONT}))
    note = ("n < 3: no rank correlation" if corr["n"] < 3 else
            f"Spearman {corr['spearman']:.2f}, Kendall {corr['kendall']:.2f}, n = {corr['n']}")
    fig.update_layout(title=f"does the proxy ranking hold? ({note})",
                      xaxis_title="study (proxy) validation accuracy (%)",
                      yaxis_title="confirmed test accuracy (%)", height=480)
    return fig


def add_baselines(fig: go.Figure, base: list[dict]) -> None:
    """The papers' models confirmed by dse, as labelled squares on a test-accuracy plot."""
    pts = [b for b in base if b.get("size_mb") is not None]
    fig.add_trace(go.Scatter(
        x=[b["size_mb"] for b in pts], y=[b["test_accuracy"] * 100 for b in pts],
        mode="markers+text", text=[b["name"] for b in pts], textposition="bottom center",
        name="papers' models trained by dse the same way",
        marker={"symbol": "square", "size": 10, "color": BASELINE},
        hovertext=[f"<b>{html.escape(b['name'])}</b> (baseline)<br>test accuracy "
                   f"{b['test_accuracy'] * 100:.2f} ± {b['test_accuracy_std'] * 100:.2f} %"
                   f"<br>{b['epochs']} epochs, {b['seeds']} seed(s)" for b in pts],
        hovertemplate="%{hovertext}<extra></extra>"))

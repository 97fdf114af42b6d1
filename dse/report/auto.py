"""The page of a `dse auto` run: its plan, what was won and what was not in words, and each
finalist's seeds beside the baseline's; written into the ladder study's report folder so
that its navigation reaches the ladder's trials."""

from __future__ import annotations

import html
from pathlib import Path

import plotly.graph_objects as go

from dse.fileio import atomic_write_text
from dse.report.figures import BASELINE, FRONT
from dse.report.html import figure_html, page, write_plotlyjs


def seeds_figure(stats: list[dict], baseline: str) -> go.Figure:
    """Every seed's test accuracy of each finalist and of the baseline, one column each."""
    fig = go.Figure()
    names: dict[str, list[float]] = {}
    for s in stats:
        for who, accs in s["accuracies"].items():
            label = baseline if who == baseline else f"trial {who}"
            names.setdefault(label, [100 * a for a in accs])
    for label, accs in names.items():
        fig.add_trace(go.Box(y=accs, name=label, boxpoints="all", pointpos=0, jitter=0.3,
                             marker_color=BASELINE if label == baseline else FRONT,
                             hovertemplate="%{y:.2f} %<extra>" + html.escape(label) +
                             "</extra>"))
    fig.update_layout(showlegend=False, height=420, margin={"t": 30},
                      yaxis_title="test accuracy (%), one point per seed")
    return fig


def auto_page(title: str, plan_lines: list[str], verdicts: list[tuple[bool, str]],
              stats: list[dict], baseline: str, exported: str, out: Path) -> Path:
    """Write `out`/auto.html; `verdicts` are (won, sentence) per finalist."""
    write_plotlyjs(out)
    items = "".join(f"<li>{'<b>won</b>: ' if won else 'not won: '}{html.escape(text)}</li>"
                    for won, text in verdicts)
    body = (f"<h2>Result</h2><ul>{items}</ul>"
            f"<p>{html.escape(exported)}</p>"
            + figure_html(seeds_figure(stats, baseline), "seeds")
            + "<h2>Plan (fixed before the first trial)</h2><pre>"
            + html.escape("\n".join(plan_lines)) + "</pre>"
            "<p>The ladder's trials: <a href=\"index.html\">their report</a>.</p>")
    path = out / "auto.html"
    atomic_write_text(page(title, "dse auto: test accuracies at the last epoch; the pick was "
                           "made on validation figures before any test figure", body), path)
    return path

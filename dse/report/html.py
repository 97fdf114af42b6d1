"""Self-contained HTML pages: plotly.js written once beside them, nothing fetched online."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import plotly.offline

from dse.fileio import atomic_write_text
from dse.report.data import column_label, format_value, metric_of
from dse.report.figures import trial_url

PAGES = (("index.html", "overview"), ("pareto.html", "Pareto front"),
         ("history.html", "hypervolume"), ("parameters.html", "parameters"),
         ("trials.html", "all trials"), ("confirmed.html", "confirmed"))
STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1200px;color:#222}
nav a{margin-right:1.2em} h1{font-size:1.5em} .meta{color:#555}
table{border-collapse:collapse;font-size:.85em} th,td{border:1px solid #ddd;padding:3px 7px}
th{background:#f3f3f3;cursor:pointer;position:sticky;top:0} td.num{text-align:right}
tr.front td{background:#eef5ff} pre{background:#f7f7f7;padding:1em;overflow:auto}
.note{background:#fff8e0;padding:.6em 1em;border-left:4px solid #e0b000}
"""
CLICK_AND_SORT = """
document.querySelectorAll('.plotly-graph-div').forEach(function(d){
  if (d.on) d.on('plotly_click', function(e){
    var u = e.points[0].customdata; if (typeof u === 'string') window.location.href = u; });
});
document.querySelectorAll('table.sortable th').forEach(function(th, col){
  th.addEventListener('click', function(){
    var tb = th.closest('table').tBodies[0], rows = Array.from(tb.rows);
    var asc = th.dataset.asc !== '1'; th.dataset.asc = asc ? '1' : '0';
    rows.sort(function(a, b){
      var x = a.cells[col].dataset.v ?? a.cells[col].textContent;
      var y = b.cells[col].dataset.v ?? b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
      return asc ? c : -c; });
    rows.forEach(function(r){ tb.appendChild(r); }); });
});
"""


def write_plotlyjs(folder: Path) -> None:
    """Write plotly.min.js once into the report folder (offline use)."""
    target = folder / "plotly.min.js"
    if not target.exists():
        atomic_write_text(plotly.offline.get_plotlyjs(), target)


def figure_html(fig: go.Figure | str, div_id: str) -> str:
    """A figure as a div (plotly.js not included), or a note when `fig` is a message."""
    if isinstance(fig, str):
        return f'<p class="note">{html.escape(fig)}</p>'
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


def page(title: str, meta: str, body: str, refresh: int | None = None) -> str:
    """A whole page with navigation, optional auto-refresh, click-through and sorting."""
    nav = " ".join(f'<a href="{f}">{html.escape(t)}</a>' for f, t in PAGES)
    ref = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">{ref}'
            f'<title>{html.escape(title)}</title><script src="plotly.min.js"></script>'
            f'<style>{STYLE}</style></head><body><nav>{nav}</nav><h1>{html.escape(title)}</h1>'
            f'<p class="meta">{meta}</p>{body}<script>{CLICK_AND_SORT}</script></body></html>')


def table_html(frame: pd.DataFrame, columns: list[str], front: pd.Series | None = None) -> str:
    """A sortable table; headers with units, numbers right-aligned in their metric's format,
    trial numbers linked to their pages, every string escaped."""

    head = "".join(f"<th>{html.escape(_short_label(c, column_label))}</th>" for c in columns)
    rows = []
    for idx, r in frame.iterrows():
        cells = []
        for c in columns:
            v = r.get(c)
            if c == "trial":
                cells.append(f'<td class="num" data-v="{int(v)}"><a href="{trial_url(v)}">'
                             f"{int(v)}</a></td>")
            elif isinstance(v, int | float) and not isinstance(v, bool):
                m = metric_of(c)
                shown = format_value(c, v) if m is None else (m.format(v) if pd.notna(v) else "")
                sort = "" if pd.isna(v) else repr(float(v))
                cells.append(f'<td class="num" data-v="{sort}">{html.escape(shown)}</td>')
            else:
                cells.append(f"<td>{html.escape('' if v is None else str(v))}</td>")
        cls = ' class="front"' if front is not None and front.get(idx, False) else ""
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (f'<table class="sortable"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
            f"</tbody></table>")


def _short_label(column: str, label) -> str:
    """Table header: the column name with the metric's unit, 'size_mb (MB)'."""

    m = metric_of(column)
    if m is None:
        return label(column)
    return f"{column} ({m.unit})" if m.unit else column

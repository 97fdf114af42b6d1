"""A fidelity calibration for people: its summary as Markdown, and the stored calibration
of a space's fidelity (`dse fidelity check` writes them; `dse space show` prints them)."""

from __future__ import annotations

import json
import math
from pathlib import Path


def markdown(summary: dict) -> str:
    """The summary for people: one table per fidelity."""
    ref = summary["reference"]
    lines = [f"# Fidelity calibration of {summary['space']}", "",
             f"Reference: {ref['epochs']} epochs on {ref['train_images'] or 'all'} training "
             f"images, accuracy on the {ref['split']} set; {summary['references_done']} of "
             f"{summary['sample']} candidates done. Kendall and Spearman with bootstrap 95 % "
             f"intervals (candidates resampled); 'within size bins' is Kendall inside thirds "
             f"of the candidates by size, weighted by count; 'the better half' is Kendall "
             f"among the better half of the candidates by reference accuracy. Cost is counted "
             f"in training images (epochs x images), which does not depend on the machine; a "
             f"oneshot fidelity's includes its supernets' training shared out over 500 "
             f"candidates.", ""]
    rec = summary.get("recommended")
    if rec:
        lines += [f"**Recommended: `{rec['setting']}` ranked by `{rec['signal']}`** (Kendall "
                  f"{rec['kendall']:.2f} against the best {rec['best_kendall']:.2f}, at "
                  f"{rec['cost_vs_reference']:.1%} of the reference's cost; {rec['rule']}). "
                  f"With few candidates done the intervals below are wide.", ""]
    for fid, f in summary["fidelities"].items():
        lines += [f"## {fid}: {f['train_images']:,.0f} training images per candidate, "
                  f"{f['cost_vs_reference']:.1%} of the reference's ({f['train_s']:.0f} s "
                  f"against {f['reference_train_s']:.0f} s as timed, on a machine that may "
                  f"have been shared); best signal `{f['best_signal']}`", "",
                  "| signal | Kendall [95 % CI] | Spearman [95 % CI] | Kendall within size bins "
                  "| Kendall within the better half [95 % CI] |",
                  "|---|---|---|---|---|"]
        for name, s in f["signals"].items():
            lines.append(f"| {name} | {_num(s['kendall'])} [{_num(s['kendall_ci'][0])}, "
                         f"{_num(s['kendall_ci'][1])}] | {_num(s['spearman'])} "
                         f"[{_num(s['spearman_ci'][0])}, {_num(s['spearman_ci'][1])}] | "
                         f"{_num(s['kendall_within_bins'])} | {_half(s)} |")
        lines.append("")
    lines.append("'-': not defined with the candidates done so far (too few, or ties only).")
    return "\n".join(lines)


def _half(s: dict) -> str:
    """Kendall among the better half of the candidates by reference (summaries
    written before it was computed have none)."""
    h = s.get("better_half")
    if not h:
        return "-"
    return (f"{_num(h['kendall'])} [{_num(h['kendall_ci'][0])}, {_num(h['kendall_ci'][1])}] "
            f"(n={h['n']})")


def _num(x: float) -> str:
    """A rank correlation for the table; '-' where it is undefined (NaN)."""
    return "-" if math.isnan(x) else f"{x:.2f}"


def find_summary(names: str | list[str], fidelity: str) -> dict | None:
    """The first stored calibration of a fidelity among `names` (a space's `calibrations()`):
    calibrations/NAME/ here, else the one committed under results/calibration/NAME/ of
    dse's repository; its folder is added as `folder`."""
    repo = Path(__file__).resolve().parents[2]
    for name in [names] if isinstance(names, str) else names:
        for folder in (Path("calibrations") / name, repo / "results" / "calibration" / name):
            path = folder / "summary.json"
            if path.is_file():
                try:
                    data = json.loads(path.read_text())
                except ValueError:
                    continue
                if fidelity in data.get("fidelities", {}):
                    shown = folder.relative_to(repo) if folder.is_relative_to(repo) else folder
                    return {**data, "folder": str(shown)}
    return None

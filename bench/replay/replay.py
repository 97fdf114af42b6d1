"""Replay multi-fidelity search strategies against the recorded learning curves.

Every strategy searches the same 108-point table (bench/replay/data, recorded by
record.py) for (validation accuracy, float32 size, MACs); time is simulated from the
recorded epoch times, so 25 seeds of 7 strategies take minutes, not weeks (one process
per core). Hypervolume is that of the trials that trained all epochs (for halving: the top
rung), each objective scaled to [0, 1] over the table, reference point 1.1, as a fraction
of the table's whole front. Budgets are fractions of the compute that training every point
fully costs.

    python bench/replay/replay.py [--seeds 25] [--budget 0.5] [--sweep rungs|slack]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import grid  # noqa: E402
import strategies as S  # noqa: E402

from dse import pareto  # noqa: E402

RESULTS = Path(__file__).parents[1] / "results"
MARKS = (0.05, 0.1, 0.2, 0.35, 0.5)  # budgets reported in the table (fractions of the table)


def scaler(table: S.Table):
    """Objective vector -> minimised, scaled to [0, 1] over the table."""
    pts = [pareto.to_minimise(table.values(k, table.epochs), S.DIRECTIONS) for k in table.rows]
    lo = [min(p[i] for p in pts) for i in range(3)]
    hi = [max(p[i] for p in pts) for i in range(3)]

    def scale(values: list[float]) -> list[float]:
        m = pareto.to_minimise(values, S.DIRECTIONS)
        return [(m[i] - lo[i]) / ((hi[i] - lo[i]) or 1) for i in range(3)]
    return scale


def hv_curve(events: list[S.Event], scale, best: float, grid_points: list[float]
             ) -> list[float]:
    """Hypervolume fraction reached by each compute point (seconds)."""
    out, pts, k = [], [], 0
    events = sorted(events)
    for b in grid_points:
        while k < len(events) and events[k][0] <= b:
            pts.append(scale(events[k][1]))
            k += 1
        out.append(pareto.hypervolume(pts, [1.1] * 3) / best if pts else 0.0)
    return out


SLACKS = (0.0, 0.02, 0.04, 0.08, 0.12, 0.16, 0.24)


def strategies(sweep: str | None, halving: tuple[int, int] | None = None,
               slacks: tuple[float, ...] = SLACKS) -> dict[str, callable]:
    """Name -> f(table, seed, budget) -> events; `halving` = (min_epochs, eta) of the halving
    arms (dse's defaults when None); `sweep`: "rungs" (min_epochs x eta) or "slack"."""
    h = dict(zip(("min_epochs", "eta"), halving, strict=True)) if halving else {}
    out = {"random (full fidelity)": lambda t, s, b: S.full_fidelity(t, "random", s, b),
           "NSGA-II (full fidelity)": lambda t, s, b: S.full_fidelity(t, "nsga2", s, b),
           "TPE (full fidelity)": lambda t, s, b: S.full_fidelity(t, "tpe", s, b),
           "dse halving + random": lambda t, s, b: S.dse_halving(t, "random", s, b, **h),
           "dse halving + NSGA-II": lambda t, s, b: S.dse_halving(t, "nsga2", s, b, **h),
           "dse halving + TPE": lambda t, s, b: S.dse_halving(t, "tpe", s, b, **h),
           "dse halving + TPE, no revival": lambda t, s, b: S.dse_halving(t, "tpe", s, b, **h,
                                                                          revive=False),
           "Syne Tune MOASHA": lambda t, s, b: S.moasha(t, s, b)}
    if sweep == "slack":  # random search too: the goal's reference
        out = {"random (full fidelity)": out["random (full fidelity)"]} | {
            f"dse halving + TPE, slack {x}":
            (lambda t, s, b, x=x: S.dse_halving(t, "tpe", s, b, **h, slack=x))
            for x in slacks}
    elif sweep:
        out = {f"dse halving + TPE, min_epochs {m}, eta {e}":
               (lambda t, s, b, m=m, e=e: S.dse_halving(t, "tpe", s, b, m, e))
               for m in (1, 2, 4) for e in (2, 3, 4)}
    return out


_STATE: dict = {}  # set by main before the worker processes fork


def _replay_one(job: tuple[str, int]) -> list[float]:
    """One strategy, one seed: its hypervolume curve."""
    name, seed = job
    st = _STATE
    events = strategies(st["sweep"], st["halving"], st["slacks"])[name](
        st["table"], seed, st["budget"])
    return hv_curve(events, st["scale"], st["best"], st["points"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=25)
    ap.add_argument("--budget", type=float, default=0.5, help="largest budget, a fraction "
                    "of the table's full-training compute")
    ap.add_argument("--sweep", nargs="?", const="rungs", choices=["rungs", "slack"],
                    help="halving + TPE's min_epochs x eta (rungs, the default) or its "
                    "slack instead of the strategies")
    ap.add_argument("--halving", type=int, nargs=2, metavar=("MIN_EPOCHS", "ETA"),
                    help="the halving arms' options [dse's defaults]")
    ap.add_argument("--slacks", type=float, nargs="+", default=list(SLACKS),
                    help="the slacks --sweep slack replays")
    ap.add_argument("--front", action="store_true", help="describe the table's front (its "
                    "points, their early accuracies, greedy hypervolume shares) and stop")
    ap.add_argument("--data", type=Path, default=grid.DATA)
    ap.add_argument("--out", default=None, help="results name [replay or replay-sweep]")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="worker processes [one per core]")
    args = ap.parse_args()
    table = S.Table(grid.load_table(args.data))
    scale = scaler(table)
    best = pareto.hypervolume([scale(table.values(k, table.epochs)) for k in table.rows],
                              [1.1] * 3)
    total = table.total_cost()
    if args.front:
        text = describe_front(table, scale, best, total)
        (RESULTS / "replay-front.txt").write_text(text)
        print(text)
        return
    points = [total * args.budget * i / 50 for i in range(1, 51)]
    names = list(strategies(args.sweep, slacks=tuple(args.slacks)))
    jobs = [(name, seed) for name in names for seed in range(args.seeds)]
    _STATE.update(table=table, scale=scale, best=best, points=points, sweep=args.sweep,
                  halving=args.halving, slacks=tuple(args.slacks), budget=total * args.budget)
    curves, t0 = {n: [None] * args.seeds for n in names}, time.time()
    # one process per core, forked after the table is loaded; results kept in seed order
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        for k, ((name, seed), curve) in enumerate(zip(jobs, pool.imap(_replay_one, jobs),
                                                      strict=True)):
            curves[name][seed] = curve
            if seed == args.seeds - 1:
                print(f"{name}: done at {time.time() - t0:.0f}s ({k + 1}/{len(jobs)} runs)",
                      file=sys.stderr, flush=True)
    name = args.out or {None: "replay", "rungs": "replay-sweep",
                        "slack": "replay-slack"}[args.sweep]
    RESULTS.mkdir(exist_ok=True)
    text = report(table, curves, points, total, args)
    (RESULTS / f"{name}.txt").write_text(text)
    (RESULTS / f"{name}.json").write_text(json.dumps(
        {"compute_fraction": [p / total for p in points], "hypervolume_fraction": curves}))
    plot(curves, [p / total for p in points], RESULTS / f"{name}.html")
    print(text)


def describe_front(table: S.Table, scale, best: float, total: float) -> str:
    """The table's non-dominated points, added greedily by hypervolume: what each adds and
    costs, and its accuracy at halving's default rungs."""
    final = {k: table.values(k, table.epochs) for k in table.rows}
    mask = pareto.nondominated_mask([pareto.to_minimise(v, S.DIRECTIONS)
                                     for v in final.values()])
    front = [k for k, keep in zip(final, mask, strict=True) if keep]
    chosen, lines = [], [f"# {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} python "
                         f"bench/replay/replay.py --front",
                         f"{len(front)} of {len(final)} points on the front; added greedily "
                         "by hypervolume (fraction of the whole front's):", "",
                         f"{'point':<28}{'hv so far':>10}{'cost so far':>12}   "
                         "val_acc at epoch 2, 4, 8, 16, 20"]
    while front:
        k = max(front, key=lambda c: pareto.hypervolume(
            [scale(final[j]) for j in [*chosen, c]], [1.1] * 3))
        chosen.append(k)
        front.remove(k)
        hv = pareto.hypervolume([scale(final[j]) for j in chosen], [1.1] * 3) / best
        cost = sum(table.cost(j, table.epochs) for j in chosen) / total
        accs = ", ".join(f"{table.rows[k]['val_acc'][e - 1]:.3f}" for e in (2, 4, 8, 16, 20))
        lines.append(f"{k:<28}{hv:>10.3f}{cost:>11.1%}   {accs}")
    return "\n".join(lines) + "\n"


def _median_iqr(xs: list[float]) -> str:
    q = statistics.quantiles(xs, n=4) if len(xs) > 1 else [xs[0]] * 3
    return f"{q[1]:.3f} [{q[0]:.3f}-{q[2]:.3f}]"


def report(table: S.Table, curves: dict, points: list[float], total: float, args) -> str:
    """The table: median [IQR] hypervolume fraction at each marked budget, and the goal."""
    frac = [p / total for p in points]
    idx = {m: min(range(len(frac)), key=lambda i: abs(frac[i] - m)) for m in MARKS
           if m <= args.budget + 1e-9}
    rows = next(iter(table.rows.values()))
    lines = [f"# {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} python "
             f"bench/replay/replay.py --seeds {args.seeds} --budget {args.budget}"
             + (f" --sweep {args.sweep}" if args.sweep else "")
             + (" --slacks " + " ".join(map(str, args.slacks)) if args.sweep == "slack"
                else "")
             + (" --halving {} {}".format(*args.halving) if args.halving else ""),
             f"table: {len(table.rows)} HPS architectures x {table.epochs} epochs, "
             f"{rows['train_images']} CIFAR-10 training images, {rows['val_images']} "
             f"validation images, recorded on {rows['hardware']} with {rows['threads']} "
             f"thread(s); training all of it costs {total / 3600:.2f} h",
             "objectives: validation accuracy (max), float32 size (min), MACs (min); "
             "hypervolume of trials that trained all epochs, as a fraction of the table's "
             f"front; median [IQR] over {args.seeds} seeds; budget = fraction of the "
             "table's compute", ""]
    head = f"{'strategy':<46}" + "".join(f"{f'{m:.0%}':>22}" for m in idx)
    lines += [head, "-" * len(head)]
    for name, runs in curves.items():
        lines.append(f"{name:<46}" + "".join(
            f"{_median_iqr([r[i] for r in runs]):>22}" for i in idx.values()))
    if "random (full fidelity)" in curves:
        med = [statistics.median(c) for c in zip(*curves["random (full fidelity)"],
                                                 strict=True)]
        target = med[-1]
        lines += ["", f"random search's final hypervolume ({target:.3f} at "
                  f"{frac[-1]:.0%}) is reached (median over seeds) at:"]
        for name, runs in curves.items():
            m = [statistics.median(c) for c in zip(*runs, strict=True)]
            hit = next((frac[i] for i, v in enumerate(m) if v >= target), None)
            lines.append(f"  {name:<44} " + (f"{hit:.0%} of the table's compute "
                         f"({hit / frac[-1]:.2f}x random's)" if hit else "not reached"))
    return "\n".join(lines) + "\n"


def plot(curves: dict, frac: list[float], path: Path) -> None:
    """Median hypervolume against compute, with the interquartile band, as Plotly HTML."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, runs in curves.items():
        cols = list(zip(*runs, strict=True))
        q = [statistics.quantiles(c, n=4) if len(c) > 1 else [c[0]] * 3 for c in cols]
        x = [f * 100 for f in frac]
        fig.add_trace(go.Scatter(x=x, y=[v[1] for v in q], name=name, mode="lines"))
        fig.add_trace(go.Scatter(x=x + x[::-1], y=[v[2] for v in q] + [v[0] for v in q][::-1],
                                 fill="toself", opacity=0.15, line={"width": 0},
                                 showlegend=False, hoverinfo="skip"))
    fig.update_layout(title="replayed search: hypervolume against compute (median, IQR)",
                      xaxis_title="compute (% of training the whole table)",
                      yaxis_title="hypervolume (fraction of the table's front)", height=560)
    fig.write_html(path, include_plotlyjs="directory")  # plotly.min.js beside it, offline


if __name__ == "__main__":
    main()

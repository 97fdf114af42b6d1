"""The measures of README.md, from the arms' stores (run from the repository root).

    python results/oneshot-vs-proxy/analyse.py picks --storage URL --study NAME
        the confirmation picks: the two best by search validation accuracy in each third
        of the study's feasible completed trials by size (the `dse confirm` line to run)
    python results/oneshot-vs-proxy/analyse.py cpu --storage URL --study NAME --threads 1 \
            [--supernet FILE --supernet-threads 2]
        the search's CPU-hours: its trials' summed durations x each worker's threads, plus
        the supernet's CPU-hours
    python results/oneshot-vs-proxy/analyse.py score --arm a=URL,STUDY,SEARCH_CPU_H ...
        per arm: its picks' confirmed (test accuracy, size) at 30 epochs, seed 0, the
        hypervolume of their front (reference point 60 % and 0.37 MB) and that per CPU-hour
        (search plus the confirmations' training)
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from dse import pareto
from dse.api import supernet_show
from dse.report.data import load_study_frame
from dse.store import Store

EPOCHS, SEED, REF = 30, 0, (-0.60, 0.37)  # hypervolume of (-accuracy, size_mb)


def picks(storage: str, study: str, per_third: int = 2) -> list[int]:
    """The rule's picks: feasible completed trials (no baselines), thirds by size (equal
    counts), the `per_third` best by validation accuracy in each."""
    f = load_study_frame(study, storage)
    ok = f[(f["status"] == "complete") & f["feasible"] & f["baseline"].isna()
           & f["accuracy"].notna()].drop_duplicates(subset="model").sort_values("size_mb")
    n, out = len(ok), []
    per = math.ceil(n / 3)
    for b in range(3):
        third = ok.iloc[b * per:(b + 1) * per]
        out += [int(t) for t in third.sort_values("accuracy", ascending=False)["trial"]
                [:per_third]]
    return out


def search_cpu_h(storage: str, study: str, threads: int, supernet: str | None,
                 supernet_threads: int) -> dict:
    """The trials' summed durations (start to end; pauses between a study's runs are not
    counted) x the threads of each worker, plus the supernet's CPU-hours (its recorded
    threads, else `supernet_threads`)."""
    recs = Store(storage, create=False).trials(study)
    busy = sum((r.finished_at - r.started_at).total_seconds() for r in recs
               if r.started_at and r.finished_at)
    out = {"trials": len(recs), "trials_cpu_h": busy * threads / 3600, "supernet_cpu_h": 0.0}
    if supernet:
        info = supernet_show(Path(supernet))
        out["supernet_cpu_h"] = info["cpu_hours"] or info["wall_hours"] * supernet_threads
    out["cpu_h"] = out["trials_cpu_h"] + out["supernet_cpu_h"]
    return out


def score(storage: str, study: str, search_h: float) -> dict:
    """Confirmed points of the picks, their hypervolume, and per CPU-hour."""
    store = Store(storage, create=False)
    chosen = set(picks(storage, study))
    runs = [c for c in store.confirmations(study) if c.number in chosen and
            c.epochs == EPOCHS and c.seed == SEED and c.train_images == 0 and
            c.status == "complete"]
    points = [(-c.test_accuracy, c.measurements["size_mb"]) for c in runs]
    confirm_h = sum(sum(e.get("epoch_s", 0.0) for e in (c.curves or [])) for c in runs) / 3600
    hv = pareto.hypervolume(points, REF) if points else 0.0
    return {"confirmed": {c.number: [c.test_accuracy, c.measurements["size_mb"]]
                          for c in runs}, "missing": sorted(chosen - {c.number for c in runs}),
            "hypervolume": hv, "search_cpu_h": search_h, "confirm_cpu_h": confirm_h,
            "hypervolume_per_cpu_h": hv / (search_h + confirm_h)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("picks", "cpu"):
        p = sub.add_parser(name)
        p.add_argument("--storage", required=True)
        p.add_argument("--study", required=True)
        if name == "cpu":
            p.add_argument("--threads", type=int, required=True, help="of each worker")
            p.add_argument("--supernet")
            p.add_argument("--supernet-threads", type=int, default=2,
                           help="for a file that does not record its threads")
    s = sub.add_parser("score")
    s.add_argument("--arm", action="append", required=True, help="NAME=URL,STUDY,CPU_H")
    a = ap.parse_args()
    if a.cmd == "picks":
        chosen = picks(a.storage, a.study)
        print(f"picks: {chosen}\n  dse confirm --study {a.study} --trials "
              f"{','.join(map(str, chosen))} --epochs {EPOCHS} --seeds {SEED} "
              f"--storage {a.storage} ...")
    elif a.cmd == "cpu":
        print(json.dumps(search_cpu_h(a.storage, a.study, a.threads, a.supernet,
                                      a.supernet_threads), indent=1))
    else:
        out = {}
        for arm in a.arm:
            name, rest = arm.split("=", 1)
            url, study, hours = rest.rsplit(",", 2)
            out[name] = score(url, study, float(hours))
        print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

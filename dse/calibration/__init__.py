"""Fidelity calibration: does a short training rank candidates as a long one would?

`dse fidelity check` draws a random sample of feasible candidates from a space, trains each
at the candidate fidelities (their curves stored) and at a reference (all training images,
the test set, N epochs), then reports, per fidelity and ranking signal, Kendall's tau and
Spearman's rho against the reference accuracy with bootstrap 95 % intervals, overall and
within size bins (what matters to a size-constrained search), and the compute each costs.

Every run is one folder under OUT/runs/ holding a resume checkpoint while it trains and
result.json when done, so running the command again continues where it stopped.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import replace
from pathlib import Path

import numpy as np

from dse.confirmed import rank_correlation
from dse.errors import ConfigError
from dse.fileio import atomic_write_text
from dse.records import Candidate, RunResult
from dse.search.candidate import sample
from dse.search.feasible import ArchCheck
from dse.search.fidelity import Fidelity
from dse.search.oneshot_run import oneshot_images, oneshot_result
from dse.search.signals import SIGNALS, signals  # noqa: F401  (part of this API)
from dse.search.space import load_space
from dse.train import load_resume
from dse.train.job import DataPlan, run_training


def rank_stats(x: list[float], y: list[float], boot: int = 2000, seed: int = 0) -> dict:
    """Kendall's tau and Spearman's rho of x against y (`dse.confirmed.rank_correlation`)
    with percentile bootstrap 95 % intervals (resampling candidates); NaN where fewer than
    3 points or no spread."""

    x, y = np.asarray(x, float), np.asarray(y, float)
    point = rank_correlation(list(x), list(y))
    rng = np.random.default_rng(seed)
    ks, ss = [], []
    if not math.isnan(point["kendall"]):
        for _ in range(boot):
            i = rng.integers(0, len(x), len(x))
            r = rank_correlation(list(x[i]), list(y[i]))
            ks.append(r["kendall"])
            ss.append(r["spearman"])

    def ci(v: list[float]) -> list[float]:
        v = [a for a in v if not math.isnan(a)]
        return [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] if v else \
            [math.nan, math.nan]

    return {"n": len(x), "kendall": point["kendall"], "spearman": point["spearman"],
            "kendall_ci": ci(ks), "spearman_ci": ci(ss)}


def size_bins(sizes: list[float], bins: int = 3) -> list[list[int]]:
    """Candidate indices split into `bins` groups of consecutive sizes (quantiles)."""
    order = sorted(range(len(sizes)), key=lambda i: sizes[i])
    return [order[b * len(order) // bins:(b + 1) * len(order) // bins] for b in range(bins)]


def draw(space, count: int, seed: int, exclude: list[dict] = ()) -> list[dict]:
    """`count` distinct candidates drawn at random from `space` that meet its
    architecture-only constraints, none of `exclude` (at most 200 x count draws)."""
    # lazy: optuna costs ~1 s to import; only this path uses it
    import optuna

    check = ArchCheck(space)
    study = optuna.create_study(directions=space.directions,
                                sampler=optuna.samplers.RandomSampler(seed=seed))
    out, seen = [], set()
    if count <= 0:
        return out
    for _ in range(200 * count):
        cand = sample(space, study.ask())
        if cand in seen or cand.to_dict() in exclude or (
                check and not check.feasible(dict(cand.model))):
            continue
        seen.add(cand)
        out.append(cand.to_dict())
        if len(out) == count:
            return out
    raise ConfigError(f"only {len(out)} of {count} feasible candidates found in "
                      f"{200 * count:,} draws; loosen the constraints or sample fewer.")


class Calibration:
    """One calibration folder: its plan (plan.json) and its runs (runs/NAME/result.json)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    @property
    def plan_path(self) -> Path:  # noqa: D102
        return self.folder / "plan.json"

    def plan(self) -> dict:
        """The plan written when the calibration started."""
        try:
            return json.loads(self.plan_path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{self.plan_path} cannot be read ({type(exc).__name__}); is "
                              f"{self.folder} a calibration folder?") from None

    def start(self, plan: dict) -> dict:
        """Write `plan`, or check that it is the one already there (a re-run continues)."""
        if self.plan_path.exists():
            old = self.plan()
            keys = ("space", "fidelities", "reference", "sample", "seed", "constraints")
            diff = [k for k in keys if old.get(k) != plan.get(k)]
            if diff:
                raise ConfigError(f"{self.folder} holds a calibration with other "
                                  f"{', '.join(diff)}; give another --out or the same options.")
            return old
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(json.dumps(plan, indent=1), self.plan_path)
        return plan

    def run_dir(self, index: int, fidelity: str) -> Path:
        """Folder of candidate `index` trained at `fidelity` ('reference' for the reference)."""
        return self.folder / "runs" / f"c{index:03d}-{fidelity}"

    def result(self, index: int, fidelity: str) -> RunResult | None:
        """The finished run's result, or None."""
        path = self.run_dir(index, fidelity) / "result.json"
        return RunResult.from_dict(json.loads(path.read_text())) if path.is_file() else None

    def jobs(self) -> list[tuple[int, str]]:
        """(candidate, fidelity) in the order they run: candidate by candidate, its short
        runs then its reference, so every finished candidate is a point of the summary."""
        plan = self.plan()
        return [(i, f) for i in range(len(plan["candidates"]))
                for f in [*plan["fidelities"], "reference"]]

    def summary(self, boot: int = 2000) -> dict:
        """Rank statistics of every fidelity and signal over the candidates done so far."""
        plan = self.plan()
        n = len(plan["candidates"])
        ref = [self.result(i, "reference") for i in range(n)]
        done = [i for i in range(n) if ref[i] is not None]
        out = {"space": plan["space"], "constraints": plan.get("constraints", []),
               "reference": plan["reference"], "sample": n, "references_done": len(done),
               "fidelities": {}, "signals": SIGNALS}
        if not done:
            return out
        target = [ref[i].measurements["test_accuracy"] for i in done]
        sizes = [ref[i].measurements["size_mb"] for i in done]
        ref_cost = statistics.fmean(_images(ref[i]) for i in done)
        ref_s = statistics.fmean(sum(r["train_s"] for r in ref[i].history) for i in done)
        # the better half by reference (ties by draw order): where late decisions are made
        ranked = sorted(range(len(target)), key=lambda k: (-target[k], k))
        better = sorted(ranked[:math.ceil(len(target) / 2)])
        for label, fid, upto in self._settings(plan):
            runs = [self.result(i, fid) for i in done]
            if any(r is None for r in runs):
                continue
            if upto is not None:  # the curve up to a halving rung: what decides there
                runs = [replace(r, history=r.history[:upto]) for r in runs]
            per_signal = {}
            sig = [signals(r.history, r.measurements["params"]) for r in runs]
            for name in SIGNALS:
                xs = [s[name] for s in sig]
                stats = rank_stats(xs, target, boot)
                bins = []
                for b in size_bins(sizes):
                    if len(b) >= 3:
                        k = rank_stats([xs[i] for i in b], [target[i] for i in b], 0)
                        bins.append({"n": len(b), "size_mb": [min(sizes[i] for i in b),
                                                              max(sizes[i] for i in b)],
                                     "kendall": k["kendall"]})
                valid = [b for b in bins if not math.isnan(b["kendall"])]
                within = (sum(b["kendall"] * b["n"] for b in valid) / sum(b["n"] for b in valid)
                          if valid else math.nan)
                half = rank_stats([xs[i] for i in better], [target[i] for i in better], boot)
                per_signal[name] = {**stats, "bins": bins, "kendall_within_bins": within,
                                    "better_half": {"n": len(better), **half}}
            cost = statistics.fmean(_images(r) for r in runs)
            secs = statistics.fmean(sum(x["train_s"] + x.get("supernet_s", 0.0)
                                        for x in r.history) for r in runs)
            best = max((s for s in SIGNALS if s != "params"),
                       key=lambda s: _or(per_signal[s]["kendall_within_bins"],
                                         per_signal[s]["kendall"]))
            out["fidelities"][label] = {"signals": per_signal, "train_images": cost,
                                      "train_s": secs, "reference_train_s": ref_s,
                                      "cost_vs_reference": cost / ref_cost, "best_signal": best}
        out["recommended"] = recommend(out["fidelities"])
        return out

    @staticmethod
    def _settings(plan: dict) -> list[tuple[str, str, int | None]]:
        """(label, fidelity, epochs kept): each fidelity, and each of its scheduler's rungs
        ('proxy@4': the proxy's curve up to epoch 4, where halving decides)."""
        out = []
        for fid in plan["fidelities"]:
            out.append((fid, fid, None))
            rungs = Fidelity.model_validate(plan["fidelity_settings"][fid]).rungs()
            out += [(f"{fid}@{e}", fid, e) for e in rungs]
        return out


TOLERANCE = 0.1  # Kendall points a cheaper setting may give up against the best


def recommend(fidelities: dict) -> dict | None:
    """The cheapest setting (fidelity or halving rung) and signal whose Kendall against the
    reference is within TOLERANCE of the best setting's: rank quality first, then cost."""
    def kendall(f: dict) -> float:
        return f["signals"][f["best_signal"]]["kendall"]

    scored = {k: f for k, f in fidelities.items() if not math.isnan(kendall(f))}
    if not scored:
        return None
    top = max(kendall(f) for f in scored.values())
    label = min((k for k, f in scored.items() if kendall(f) >= top - TOLERANCE),
                key=lambda k: scored[k]["train_images"])
    f = scored[label]
    return {"setting": label, "signal": f["best_signal"], "kendall": kendall(f),
            "best_kendall": top, "cost_vs_reference": f["cost_vs_reference"],
            "rule": f"the cheapest setting within {TOLERANCE} of the best Kendall"}


def _space(plan: dict):
    """The plan's space with the calibration's constraints."""
    sp = load_space(plan.get("space_file", plan["space"]))
    own = {str(c) for c in sp.constraints}
    return sp.with_constraints([c for c in plan.get("constraints", []) if c not in own])


def _images(result: RunResult) -> float:
    """Training images a run processed: its compute, independent of what else ran."""
    if "oneshot" in result.train_config:
        return oneshot_images(result)
    return result.train_images * len(result.history)


def _or(a: float, b: float) -> float:
    return b if math.isnan(a) else a


def run_all(cal: Calibration, device: str = "auto", data_dir=None, say=print,
            shard: tuple[int, int] = (1, 1)) -> int:
    """Train every run of the plan not yet done (a run in progress continues from its resume
    checkpoint); returns how many were trained now. `shard` (i, n) takes only candidates
    whose index is i-1 modulo n, so n processes can share one calibration folder."""

    plan = cal.plan()
    ref, trained = plan["reference"], 0
    # oneshot runs last: they wait for their supernet, which may be training elsewhere
    jobs = sorted(cal.jobs(), key=lambda j: j[1] != "reference" and bool(
        plan["fidelity_settings"][j[1]].get("oneshot")))
    for k, (i, fid) in enumerate(jobs):
        if i % shard[1] != shard[0] - 1:
            continue
        where = cal.run_dir(i, fid)
        if (where / "result.json").is_file():
            continue
        cand = plan["candidates"][i]
        if fid != "reference" and plan["fidelity_settings"][fid].get("oneshot"):
            f = Fidelity.model_validate(plan["fidelity_settings"][fid])
            say(f"[{k + 1}/{len(jobs)}] candidate {i} at {fid}: oneshot"
                + (f", then {f.epochs} epoch(s) of fine-tuning" if f.epochs else ""))
            result = oneshot_result(_space(plan), fid, f,
                                    Candidate.from_dict(cand, fid, plan["seed"]), cal.folder,
                                    plan["seed"], device, data_dir, say)
            atomic_write_text(json.dumps(result.to_dict()), where / "result.json")
            trained += 1
            continue
        if fid == "reference":
            epochs = ref["epochs"]
            data = DataPlan(plan["dataset"], 0, ref["train_images"], None, plan["seed"])
        else:
            f = Fidelity.model_validate(plan["fidelity_settings"][fid])
            epochs = f.epochs
            data = DataPlan(plan["dataset"], f.val_size, f.train_images, f.val_images,
                            plan["seed"])
        state = load_resume(where / "resume.pt")
        say(f"[{k + 1}/{len(jobs)}] candidate {i} at {fid}: {epochs} epochs"
            + (f", continuing at epoch {len(state['history']) + 1}" if state else ""))
        result = run_training(Candidate.from_dict(cand, fid, plan["seed"]), epochs, data,
                              where, device, data_dir, resumable=True, resume=state,
                              test=False, latency_repeats=1)
        atomic_write_text(json.dumps(result.to_dict()), where / "result.json")
        for extra in ("checkpoint.pt", "metrics.json", "resume.pt"):
            (where / extra).unlink(missing_ok=True)
        trained += 1
    return trained

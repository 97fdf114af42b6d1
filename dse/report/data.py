"""A study as data: one row per trial (Optuna's trial + dse's record), the Pareto front."""

from __future__ import annotations

import optuna
import pandas as pd

from dse import metrics, pareto
from dse.confirmed import baselines, headlines, rank_correlation
from dse.errors import ConfigError
from dse.records import CURVE_FIELDS, FEASIBLE_START, Status
from dse.store import Store, status_of
from dse.train.recipe import describe_recipe


def load_study(name: str, store: Store) -> optuna.Study:
    """Load a study by name; an unknown name lists the studies that exist."""
    names = store.study_names()
    if name not in names:
        raise ConfigError(f"no study {name!r} in {store.safe_url}; studies there: "
                          f"{', '.join(sorted(names)) or 'none'}.")
    return optuna.load_study(study_name=name, storage=store.optuna)


def summary(candidate: dict, saved: str | None = None) -> str:
    """Short model description: the family config's summary saved with the trial, else
    'name key=value ...' from the candidate (no model code is imported here)."""
    if saved:
        return saved
    m = candidate.get("model", {}) if isinstance(candidate, dict) else {}
    parts = [str(m.get("name", "?"))]
    for k, v in m.items():
        if k != "name":
            shown = "[" + ",".join(map(str, v)) + "]" if isinstance(v, list) else f"{v}"
            parts.append(f"{k}={shown}")
    return " ".join(parts)


NOT_MEASURED = ("trial", "state", "status", "model", "recipe", "feasible", "duration_s",
                "finished", "reason", "checkpoint", "dse_id", "candidate", "epochs", "repeats",
                "confirmed_epochs", "confirmed_seeds", "confirmed_train_images")


def measurement_columns(frame: pd.DataFrame) -> list[str]:
    """Registered metrics that the frame holds, in registry order."""
    return [m.name for m in metrics.all_metrics() if m.name in frame.columns]


def recipe(candidate: dict) -> str:
    """Short recipe description: 'sgd lr=0.1 cosine b128'."""
    return describe_recipe(candidate)


def origin(trial: optuna.trial.FrozenTrial) -> str:
    """How a trial came to be: `baseline`, `feasible start`, `trial N` (a ladder's pick of
    search trial N), `enqueued` (parameters fixed by hand, or a feasible start stored before
    dse marked them), `retry of trial N` (a dead worker's trial run again) or `sampled`."""
    attrs = trial.user_attrs
    if attrs.get("baseline"):
        return "baseline"
    if "from_trial" in attrs:
        return f"trial {attrs['from_trial']}"
    if attrs.get("origin") == FEASIBLE_START:
        return FEASIBLE_START
    if "fixed_params" in trial.system_attrs:
        return "enqueued"
    if "failed_trial" in trial.system_attrs:
        return f"retry of trial {trial.system_attrs['failed_trial']}"
    return "sampled"


def _baseline_prefix(name: str | None) -> str:
    return f"baseline {name}: " if name else ""


def load_study_frame(name: str, storage: str | None = None,
                     store: Store | None = None) -> pd.DataFrame:
    """Every trial of a study with its state, status, measurements and config summary."""
    store = store or Store(storage, create=False)
    study = load_study(name, store)
    records = {r.number: r for r in store.trials(name)}
    number_of = {r.id: r.number for r in records.values()}
    rows = []
    for t in study.get_trials(deepcopy=False):
        rec = records.get(t.number)
        cand = (rec.candidate if rec else None) or t.user_attrs.get("candidate", {})
        meas = (rec.measurements if rec else None) or t.user_attrs.get("measurements") or {}
        status = rec.status if rec else status_of(t.state)
        if status == Status.RUNNING and t.state.is_finished():  # its worker died (heartbeat)
            status = Status.FAILED
        row = {"trial": t.number, "state": t.state.name.lower(), "status": status,
               "model": _baseline_prefix(t.user_attrs.get("baseline"))
               + summary(cand, t.user_attrs.get("summary")), "recipe": recipe(cand),
               "baseline": t.user_attrs.get("baseline"), "origin": origin(t),
               **{k: meas.get(k) for k in metrics.names()},
               **{k: v for k, v in meas.items() if isinstance(v, int | float)
                  and not isinstance(v, bool)},
               "feasible": all(c <= 0 for c in t.constraints.values()),
               "duration_s": t.duration.total_seconds() if t.duration else None,
               "finished": t.datetime_complete, "reason": rec.reason if rec else None,
               "checkpoint": rec.checkpoint if rec else None,
               "reused_from": number_of.get(rec.reused_from) if rec else None,
               "dse_id": rec.id if rec else None, "candidate": cand}
        rows.append(row)
    columns = ["trial", "state", "status", "model", "recipe", "baseline", "origin",
               *metrics.names(),
               "feasible", "duration_s", "finished", "reason", "checkpoint", "reused_from",
               "dse_id", "candidate"]
    frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=columns)
    if len(frame):
        frame = _with_confirmations(frame, store, name)

    objectives = study.user_attrs.get("objectives") or list(study.metric_names or [])
    if not objectives or any(o not in metrics.names() for o in objectives):
        raise ConfigError(f"study {name!r} was not made by `dse run` (it records no dse "
                          f"objectives); dse can only show its own studies.")
    frame.attrs.update(baselines=baselines(store, name), study=name, objectives=objectives,
                       dataset=study.user_attrs.get("dataset", "cifar10"),
                       fidelity=study.user_attrs.get("fidelity"))
    return frame


def _with_confirmations(frame: pd.DataFrame, store: Store, study: str) -> pd.DataFrame:
    """Add test_accuracy (mean), its std, epochs, seeds and training images of each trial's
    headline confirmation (`dse.confirmed.headlines`)."""
    best = headlines(store, study)
    pairs = [("test_accuracy", "test_accuracy"), ("test_accuracy_std", "test_accuracy_std"),
             ("confirmed_epochs", "epochs"), ("confirmed_seeds", "seeds"),
             ("confirmed_train_images", "train_images")]
    pairs += [(k, k) for k in sorted({k for s in best.values() for k in s
                                      if k.startswith("confirmed_")})]
    for col, key in pairs:
        frame[col] = frame["trial"].map(lambda t, k=key: best.get(t, {}).get(k))
    return frame


def pareto_mask(frame: pd.DataFrame, objectives: list[str]) -> pd.Series:
    """True for completed, feasible trials that no other such trial dominates on `objectives`
    (a trial that reused another's measurement is left to the trial it reused)."""
    bad = [o for o in objectives if o not in metrics.names()]
    if bad or not 2 <= len(objectives) <= 4 or len(set(objectives)) != len(objectives):
        raise ConfigError(f"--objectives takes two to four of {', '.join(metrics.names())}; "
                          f"got {', '.join(str(o)[:40] for o in objectives)}.")
    mask = pd.Series(False, index=frame.index)
    if frame.empty:
        return mask
    missing = [o for o in objectives if o not in frame.columns]
    if missing:
        return mask
    ok = frame[(frame["status"] == Status.COMPLETE) & frame["feasible"]].dropna(subset=objectives)
    if "reused_from" in ok:
        ok = ok[ok["reused_from"].isna()]
    if ok.empty:
        return mask
    directions = metrics.directions(objectives)
    points = [pareto.to_minimise([float(r[o]) for o in objectives], directions)
              for _, r in ok.iterrows()]
    mask.loc[ok.index[pareto.nondominated_mask(points)]] = True
    return mask


def trial_detail(study: str, number: int, storage: str | None = None) -> dict:
    """One trial: config, measurements, status and a summary of its curves."""
    store = Store(storage, create=False)
    frame = load_study_frame(study, store=store)
    hit = frame[frame["trial"] == number]
    if hit.empty:
        raise ConfigError(f"study {study!r} has no trial {number}; " + (
            f"it has trials 0..{len(frame) - 1}." if len(frame) else "it has no trials yet."))
    row = hit.iloc[0].to_dict()
    epochs = store.epochs([row["dse_id"]]) if row["dse_id"] else []
    curves = [{k: getattr(e, k) for k in ("repeat", "lr", *CURVE_FIELDS)} for e in epochs]
    confirmations = [{"epochs": c.epochs, "seed": c.seed, "status": c.status,
                      "test_accuracy": c.test_accuracy, "checkpoint": c.checkpoint,
                      "reason": c.reason} for c in store.confirmations(study)
                     if c.number == number]
    return {**{k: v for k, v in row.items() if not (isinstance(v, float) and pd.isna(v))},
            "curves": curves, "confirmations": confirmations}


def metric_of(key: str) -> metrics.Metric | None:
    """The metric a column shows (its std and confirmed columns included), if any."""
    base = key.removeprefix("confirmed_").removesuffix("_std")
    return metrics.get_metric(base) if base in metrics.names() else None


def column_label(key: str) -> str:
    """A column's header with its unit: 'float32 size (MB)'."""
    m = metric_of(key)
    if m is None:
        return "duration (s)" if key == "duration_s" else key
    if key.startswith("confirmed_"):
        return f"{m.label}, confirmed" + (f" ({m.unit})" if m.unit else "")
    return m.title + (", std over seeds" if key.endswith("_std") else "")


def format_value(key: str, v) -> str:
    """A cell's text: metrics in their unit and precision, '-' when missing."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "-"
    m = metric_of(key)
    if m is not None:
        return f"{m.format(v)} {m.unit}".rstrip()
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def proxy_correlation(frame: pd.DataFrame) -> dict:
    """Rank correlation of the study's proxy accuracy with the confirmed test accuracy, over
    the trials that have both (`dse.confirmed.rank_correlation`)."""
    both = frame.dropna(subset=["accuracy", "test_accuracy"])
    return rank_correlation(both["accuracy"].tolist(), both["test_accuracy"].tolist())

"""A study as data: one row per trial (Optuna's trial + dse's record), the Pareto front."""

from __future__ import annotations

import optuna
import pandas as pd

from dse import pareto
from dse.errors import ConfigError
from dse.objectives import OBJECTIVES
from dse.store import Store

MEASURES = ("accuracy", "accuracy_std", "size_mb", "params", "macs", "epoch_time_s",
            "latency_ms", "latency_p90_ms", "train_images_per_s")


def load_study(name: str, store: Store) -> optuna.Study:
    """Load a study by name; an unknown name lists the studies that exist."""
    names = store.study_names()
    if name not in names:
        raise ConfigError(f"no study {name!r} in {store.url}; studies there: "
                          f"{', '.join(sorted(names)) or 'none'}.")
    return optuna.load_study(study_name=name, storage=store.optuna)


def summary(candidate: dict) -> str:
    """Short model description: 'hps [2,4,12,1] 1.0x relu r1.0 d0.1' or a registered name."""
    m = candidate.get("model", {})
    if "blocks" not in m:
        return m.get("name", "?")
    parts = [m["name"], "[" + ",".join(str(b) for b in m["blocks"]) + "]",
             f"{m.get('width', 1.0):g}x", m.get("activation", "relu")]
    if m.get("resolution", 1.0) != 1.0:
        parts.append(f"res{m['resolution']:g}")
    if m.get("dropout"):
        parts.append(f"drop{m['dropout']:g}")
    return " ".join(parts)


def recipe(candidate: dict) -> str:
    """Short recipe description: 'sgd lr=0.1 cosine b128'."""
    t = candidate.get("train", {})
    if not t:
        return ""
    return (f"{t['optimizer']} lr={t['lr']:.3g} {t['schedule']} b{t['batch_size']}"
            f"{'' if t.get('augment', True) else ' no-aug'}")


def load_study_frame(name: str, storage: str | None = None,
                     store: Store | None = None) -> pd.DataFrame:
    """Every trial of a study with its state, status, measurements and config summary."""
    store = store or Store(storage, create=False)
    study = load_study(name, store)
    records = {r.number: r for r in store.trials(name)}
    rows = []
    for t in study.get_trials(deepcopy=False):
        rec = records.get(t.number)
        cand = (rec.candidate if rec else None) or t.user_attrs.get("candidate", {})
        meas = (rec.measurements if rec else None) or t.user_attrs.get("measurements") or {}
        status = rec.status if rec else t.user_attrs.get("dse_status", t.state.name.lower())
        if status == "running" and t.state.is_finished():  # its worker died: failed by heartbeat
            status = "failed"
        row = {"trial": t.number, "state": t.state.name.lower(), "status": status,
               "model": summary(cand), "recipe": recipe(cand),
               **{k: meas.get(k) for k in MEASURES},
               "feasible": all(c <= 0 for c in t.user_attrs.get("constraints", [])),
               "duration_s": t.duration.total_seconds() if t.duration else None,
               "finished": t.datetime_complete, "reason": rec.reason if rec else None,
               "checkpoint": rec.checkpoint if rec else None,
               "dse_id": rec.id if rec else None, "candidate": cand}
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame.attrs.update(study=name, objectives=study.user_attrs.get("objectives", []),
                       dataset=study.user_attrs.get("dataset", "cifar10"),
                       fidelity=study.user_attrs.get("fidelity"))
    return frame


def pareto_mask(frame: pd.DataFrame, objectives: list[str]) -> pd.Series:
    """True for completed, feasible trials that no other such trial dominates on `objectives`."""
    bad = [o for o in objectives if o not in OBJECTIVES]
    if bad or not 2 <= len(objectives) <= 3:
        raise ConfigError(f"--objectives takes two or three of {', '.join(OBJECTIVES)}; "
                          f"got {', '.join(objectives)}.")
    mask = pd.Series(False, index=frame.index)
    if frame.empty:
        return mask
    ok = frame[(frame["status"] == "complete") & frame["feasible"]].dropna(subset=objectives)
    if ok.empty:
        return mask
    directions = [OBJECTIVES[o] for o in objectives]
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
        raise ConfigError(f"study {study!r} has no trial {number}; it has trials "
                          f"0..{len(frame) - 1}.")
    row = hit.iloc[0].to_dict()
    epochs = store.epochs([row["dse_id"]]) if row["dse_id"] else []
    curves = [{k: getattr(e, k) for k in ("repeat", "epoch", "lr", "train_loss", "train_acc",
                                          "val_loss", "val_acc", "epoch_s")} for e in epochs]
    return {**{k: v for k, v in row.items() if not (isinstance(v, float) and pd.isna(v))},
            "curves": curves}

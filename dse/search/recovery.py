"""After a crash: a dead worker's trial rows follow Optuna's state, and checkpoints and
temporary files of trials that never completed are removed."""

from __future__ import annotations

import time
from pathlib import Path

import optuna

from dse.records import MEASURED
from dse.store import Store, heartbeat


def reconcile(store: Store, study: optuna.Study) -> dict[int, str]:
    """dse's rows of trials that Optuna has ended (stale heartbeats) follow its state;
    returns Optuna's finished trials, number -> state name."""
    trials = study.get_trials(deepcopy=False, states=None)
    finished = {t.number: t.state.name for t in trials if t.state.is_finished()}
    store.reconcile(study.study_name, finished)
    return finished


def clean_up(store: Store, study: optuna.Study, artifacts: Path) -> None:
    """After a crash: rows of dead workers' trials follow Optuna's state; checkpoints of
    trials that did not complete and temporary files older than the heartbeat grace
    period are removed."""
    finished = reconcile(store, study)
    if not artifacts.is_dir():
        return
    grace = heartbeat()[1]
    now = time.time()
    for tmp in [*artifacts.glob(".trial-*.pt.*"),  # atomic_save's temporary files
                *artifacts.glob("stopped/.trial-*.pt.*")]:
        if now - tmp.stat().st_mtime > grace:
            tmp.unlink(missing_ok=True)
    done = {f"trial-{r.number:05d}.pt" for r in store.trials(study.study_name)
            if r.status in MEASURED}
    for ckpt in artifacts.glob("trial-*.pt"):
        n = ckpt.name.removeprefix("trial-").removesuffix(".pt")
        if ckpt.name not in done and n.isdigit() and finished.get(int(n)) == "FAIL":
            ckpt.unlink(missing_ok=True)  # written, but its trial never completed
    for state in artifacts.glob("stopped/trial-*.pt"):  # a dead trial's state
        n = state.stem.removeprefix("trial-")
        if n.isdigit() and finished.get(int(n)) == "FAIL":
            state.unlink(missing_ok=True)

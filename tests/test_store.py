"""The store: schema creation, NaN curves of diverged runs, unreachable databases."""

from __future__ import annotations

import math
import os
import socket
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, update

from dse.errors import StoreError
from dse.paths import locate
from dse.records import Candidate, Status
from dse.store import Store
from dse.store.claims import beat, claim, me
from dse.store.tables import ConfirmRecord


def test_tables_created_beside_optuna_and_nan_stored_as_null(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/s.db")
    store.optuna  # noqa: B018  (creates Optuna's schema in the same file)
    tables = set(inspect(store.engine).get_table_names())
    assert {"dse_trials", "dse_epochs", "dse_meta", "studies", "trials"} <= tables
    rid = store.start_trial("s", 0, "smoke", Candidate({}), "h", {"cpu": "x"})
    row = {"epoch": 1, "lr": 0.1, "train_loss": math.nan, "train_acc": 0.1,
           "val_loss": math.inf - math.inf, "val_acc": 0.1, "train_s": 1.0, "eval_s": 0.5,
           "epoch_s": 1.5, "train_images_per_s": 100.0}
    store.add_epoch(rid, 0, row)  # a diverged run is a measurement, not a crash
    (epoch,) = store.epochs([rid])
    assert epoch.train_loss is None and epoch.val_loss is None and epoch.val_acc == 0.1
    Store(f"sqlite:///{tmp_path}/s.db")  # re-opening migrates nothing and loses nothing
    assert len(store.epochs([rid])) == 1


def test_missing_sqlite_store_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="no study store"):
        Store(f"sqlite:///{tmp_path}/none.db", create=False)


def test_checking_a_store_file_keeps_the_locks_of_open_connections(tmp_path):
    """A regression: reading the header with open()/close() dropped the process's SQLite locks
    (POSIX locks belong to the process and die with any close of the file), so another
    worker that closed its connection took itself for the last one and deleted the WAL
    under the running workers: their later trials went to a deleted file, the store was
    left malformed. The check goes through SQLite now, which keeps the locks."""
    import sqlite3
    import subprocess
    import sys

    from dse.store.connect import check_sqlite_file

    db = tmp_path / "s.db"
    a = sqlite3.connect(db)
    a.execute("pragma journal_mode=wal")
    a.execute("create table t(x)")
    a.execute("insert into t values (1)")
    a.commit()
    check_sqlite_file(db)  # in the same process, as every new Store() does
    other = (f"import sqlite3; c = sqlite3.connect({str(db)!r}); "
             f"c.execute('select count(*) from t').fetchall(); c.close()")
    subprocess.run([sys.executable, "-c", other], check=True)  # a worker that ends
    a.execute("insert into t values (2)")
    a.commit()
    assert sqlite3.connect(db).execute("select count(*) from t").fetchone()[0] == 2
    (tmp_path / "photo.db").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    with pytest.raises(StoreError, match="not an SQLite database"):
        check_sqlite_file(tmp_path / "photo.db")


def test_recorded_checkpoints_are_found_again_after_the_repository_moved(tmp_path, monkeypatch):
    old = tmp_path / "old" / "results" / "s" / "studies" / "s" / "confirm" / "r0"
    old.mkdir(parents=True)
    (old / "checkpoint.pt").write_bytes(b"x")
    recorded = str(old / "checkpoint.pt")  # stores keep absolute paths
    store = Store(f"sqlite:///{tmp_path}/old/results/s/dse.db")
    store.optuna  # noqa: B018  (Optuna's tables too, as after `dse run`)
    store.engine.dispose()
    assert store.folder == tmp_path / "old" / "results" / "s"
    assert store.locate(recorded) == Path(recorded) and store.locate(None) is None
    (tmp_path / "old").rename(tmp_path / "new")  # a clone elsewhere
    monkeypatch.chdir(tmp_path)  # neither the cwd ...
    moved = Store(f"sqlite:///{tmp_path}/new/results/s/dse.db", create=False)
    assert moved.locate(recorded) == tmp_path / "new/results/s/studies/s/confirm/r0/checkpoint.pt"
    monkeypatch.chdir(tmp_path / "new")  # ... or from the repository root, a relative URL
    rel = Store("sqlite:///results/s/dse.db", create=False)
    assert rel.locate(recorded).resolve() == moved.locate(recorded)
    # a tail too short to be the same file, or one that climbs out, is not taken
    (tmp_path / "new" / "checkpoint.pt").write_bytes(b"y")
    assert locate("/elsewhere/a/checkpoint.pt", [tmp_path / "new"]) is None
    assert locate("/x/../new/results/s/studies/s/confirm/r0/checkpoint.pt", [tmp_path]) is None
    assert locate("/gone/a/b/c/d.pt", [tmp_path]) is None
    assert rel.locate("/gone/a/b/c/d.pt") is None


def test_a_confirmation_run_is_claimed_by_one_live_process(tmp_path, monkeypatch):
    """Claims: a run held by a live process elsewhere is left alone; one whose owner stopped
    beating, or was a process of this host that is gone, is taken over; a complete run is
    handed back as it is."""
    monkeypatch.setenv("DSE_HEARTBEAT", "1,30")
    store = Store(f"sqlite:///{tmp_path}/s.db")
    cand = Candidate({"name": "hps-06-0.5x"})
    rec = claim(store, "s", 0, 2, 0, cand, {"cpu": "x"})
    assert rec is not None and rec.owner == me() and rec.status == Status.RUNNING
    assert claim(store, "s", 0, 2, 0, cand, {"cpu": "x"}).id == rec.id  # ours: again ours

    def held_by(owner: str, age_s: float) -> None:
        with store.session() as s, s.begin():
            s.execute(update(ConfirmRecord).values(
                owner=owner, beat_at=datetime.now(UTC) - timedelta(seconds=age_s)))

    held_by("another-host:123", 2)  # beating: theirs
    assert claim(store, "s", 0, 2, 0, cand, {"cpu": "x"}) is None
    assert not beat(store, rec.id)  # no longer ours: our beats do not count
    held_by("another-host:123", 60)  # silent for longer than the grace: ours
    assert claim(store, "s", 0, 2, 0, cand, {"cpu": "x"}).owner == me()
    held_by(f"{socket.gethostname()}:{os.getppid()}", 0)  # a live process here: theirs
    assert claim(store, "s", 0, 2, 0, cand, {"cpu": "x"}) is None
    dead = subprocess.Popen(["true"])
    dead.wait()
    held_by(f"{socket.gethostname()}:{dead.pid}", 0)  # gone (a crash): ours at once
    assert claim(store, "s", 0, 2, 0, cand, {"cpu": "x"}).owner == me()
    assert beat(store, rec.id)
    store.finish_confirmation(rec.id, Status.COMPLETE, 0.5)
    held_by("another-host:123", 0)
    done = claim(store, "s", 0, 2, 0, cand, {"cpu": "x"})
    assert done.status == Status.COMPLETE and done.test_accuracy == 0.5

"""The store: schema creation, NaN curves of diverged runs, unreachable databases."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import inspect

from dse.errors import StoreError
from dse.store import Store


def test_tables_created_beside_optuna_and_nan_stored_as_null(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/s.db")
    store.optuna  # noqa: B018  (creates Optuna's schema in the same file)
    tables = set(inspect(store.engine).get_table_names())
    assert {"dse_trials", "dse_epochs", "dse_meta", "studies", "trials"} <= tables
    rid = store.start_trial("s", 0, "smoke", {"model": {}}, "h", {"cpu": "x"})
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

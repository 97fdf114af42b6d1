"""Reaching a study store: its URL, SQLite's settings and header check, heartbeats, and the
one-paragraph errors of a missing driver or an unreachable server."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import event, make_url
from sqlalchemy.engine import Engine

from dse.errors import StoreError
from dse.store.url import redact

DEFAULT_URL = "sqlite:///studies/dse.db"


def resolve_url(url: str | None) -> str:
    """--storage, else $DSE_STORAGE, else the SQLite file studies/dse.db."""
    return url or os.environ.get("DSE_STORAGE") or DEFAULT_URL


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_conn, _record) -> None:
    """SQLite: write-ahead log (readers never block the study) and fsync per checkpoint of
    the log rather than per commit; a crash of the process loses nothing committed."""
    if type(dbapi_conn).__module__.startswith("sqlite3"):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=30000")
        try:  # refused (and nothing changed) on a connection opened read-only
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        except Exception:  # noqa: BLE001  (sqlite3.OperationalError: readonly database)
            pass
        cur.close()


def heartbeat() -> tuple[int, int]:
    """(interval, grace) seconds: a worker silent for `grace` has its trial failed and retried.

    Optuna's heartbeat thread beats during training too; a dead worker's trial is failed
    (and re-queued) by the next worker that starts a trial after `grace` seconds.
    $DSE_HEARTBEAT="INTERVAL,GRACE" overrides the default 10,45 (retried within a minute).
    """
    raw = os.environ.get("DSE_HEARTBEAT", "10,45")
    try:
        interval, grace = (int(x) for x in raw.split(","))
    except ValueError:
        raise StoreError(f"DSE_HEARTBEAT={raw!r} must be two integers: INTERVAL,GRACE.") from None
    return interval, grace


DRIVERS = {"postgresql": "pip install 'dse[postgres]' (psycopg2-binary)",
           "mysql": "pip install pymysql and write mysql+pymysql://..."}


def unsupported(url: str, exc: Exception) -> StoreError:
    scheme = redact(url).split(":", 1)[0].split("+")[0]
    how = DRIVERS.get(scheme, "use sqlite:///PATH or postgresql://user:password@host/db")
    return StoreError(f"the study store {redact(url)} needs a database driver that is not "
                      f"installed or a URL dse does not support ({type(exc).__name__}: "
                      f"{str(exc)[:120]}); {how}.")


def unreachable(url: str, exc: Exception) -> StoreError:
    detail = str(exc).splitlines()[0][:200] if str(exc) else ""
    for secret in _secrets(url):
        detail = detail.replace(secret, "***")
    return StoreError(
        f"the study store {redact(url)} cannot be used ({type(exc).__name__}: "
        f"{detail}). Check that the database server is running and "
        f"the URL (--storage or $DSE_STORAGE) is right, e.g. "
        f"postgresql+psycopg2://user:password@host:5432/dbname or sqlite:///studies/dse.db."
    )


def _secrets(url: str) -> list[str]:
    try:
        pw = make_url(url).password
    except Exception:  # noqa: BLE001  (an unparsable URL has no password to hide)
        return []
    return [str(pw)] if pw else []


def check_sqlite_file(path: Path) -> None:
    """An existing file must be an SQLite database (or empty) before anything is written
    beside it: a photo or a text file given by mistake is left alone, with no .lock.

    The file is read through SQLite (read-only), never with open()/close(): closing any
    descriptor of a file drops every POSIX lock this process holds on it, so a worker that
    checked its store again would lose its SQLite locks, and another worker ending would
    delete the write-ahead log under it (a malformed store, seen once)."""
    if path.is_dir():
        raise StoreError(f"the study store {path} is a folder; give a database file, e.g. "
                         f"--storage sqlite:///{path}/dse.db.")
    if not path.exists():
        return
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            con.execute("pragma schema_version").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        if "not a database" not in str(exc):
            raise StoreError(f"the study store {path} cannot be read ({exc}); check its "
                             f"permissions.") from None
        raise StoreError(f"{path} is not an SQLite database (its first bytes are not an "
                         f"SQLite header), so dse will not write to it or beside it; give a "
                         f"new file name or an existing dse store with --storage "
                         f"sqlite:///PATH. Nothing was written.") from None

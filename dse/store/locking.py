"""What a store does once for every process that shares it: hold a lock across processes
and machines, and create or migrate its tables under it."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, inspect, select, text

from dse.store.tables import SCHEMA_VERSION, Base, Meta


@contextmanager
def exclusive(engine: Engine, url: str, key: int):
    """Hold a lock every process on this store shares, for a check-then-write that must
    happen once (schema creation, a study's one-time enqueues).

    PostgreSQL: a session-level advisory lock `key` (concurrent CREATE TABLE collides on
    pg_type). SQLite file: an flock on DB.lock (two workers creating a new file raced on
    Optuna's alembic_version row). Other databases: no lock.
    """
    file = url.removeprefix("sqlite:///")
    if engine.dialect.name == "sqlite" and url.startswith("sqlite:///") and \
            file and file != ":memory:":
        # lazy: POSIX only
        import fcntl

        lock = Path(file + ".lock")
        with open(lock, "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
        return
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})


def migrate(engine: Engine) -> None:
    """Create missing tables and add missing columns (additive migrations)."""
    Base.metadata.create_all(engine)
    insp = inspect(engine)
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            have = {c["name"] for c in insp.get_columns(table.name)}
            for col in table.columns:
                if col.name not in have:
                    kind = col.type.compile(dialect=engine.dialect)
                    conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {col.name} "
                                      f"{kind}"))
        row = conn.execute(select(Meta).where(Meta.key == "schema_version")).first()
        if row is None:
            conn.execute(Meta.__table__.insert().values(key="schema_version",
                                                        value=str(SCHEMA_VERSION)))

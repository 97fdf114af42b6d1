"""`Store`: opens (creating and migrating) the database that holds a study's records."""

from __future__ import annotations

import math
import os
import warnings
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import optuna
from sqlalchemy import create_engine, event, inspect, make_url, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from dse.errors import StoreError
from dse.store.tables import (
    SCHEMA_VERSION,
    ArchRecord,
    Base,
    ConfirmRecord,
    EpochRecord,
    Meta,
    TrialRecord,
)
from dse.store.url import redact

DEFAULT_URL = "sqlite:///studies/dse.db"
SCHEMA_LOCK_KEY = 0x0D5E  # advisory-lock ids on PostgreSQL: schema creation,
PREPARE_LOCK_KEY = 0x0D5F  # a study's one-time enqueues (feasible start, baselines)
# Heartbeats and stale-trial retry are marked experimental by Optuna; dse relies on them.
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
EPOCH_FIELDS = ("epoch", "lr", "train_loss", "train_acc", "val_loss", "val_acc", "train_s",
                "eval_s", "epoch_s", "train_images_per_s")


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


def _unsupported(url: str, exc: Exception) -> StoreError:
    scheme = redact(url).split(":", 1)[0].split("+")[0]
    how = DRIVERS.get(scheme, "use sqlite:///PATH or postgresql://user:password@host/db")
    return StoreError(f"the study store {redact(url)} needs a database driver that is not "
                      f"installed or a URL dse does not support ({type(exc).__name__}: "
                      f"{str(exc)[:120]}); {how}.")


def _unreachable(url: str, exc: Exception) -> StoreError:
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


SQLITE_HEADER = b"SQLite format 3\x00"


def _check_sqlite_file(path: Path) -> None:
    """An existing file must be an SQLite database (or empty) before anything is written
    beside it: a photo or a text file given by mistake is left alone, with no .lock."""
    if path.is_dir():
        raise StoreError(f"the study store {path} is a folder; give a database file, e.g. "
                         f"--storage sqlite:///{path}/dse.db.")
    if not path.exists():
        return
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"the study store {path} cannot be read ({exc.strerror}); check its "
                         f"permissions.") from None
    if head and head != SQLITE_HEADER:
        raise StoreError(f"{path} is not an SQLite database (its first bytes are not an "
                         f"SQLite header), so dse will not write to it or beside it; give a "
                         f"new file name or an existing dse store with --storage "
                         f"sqlite:///PATH. Nothing was written.")


class Store:
    """Opens (creating and migrating) a database holding Optuna studies and dse's tables."""

    def __init__(self, url: str | None = None, create: bool = True):
        """Open the store; `create=False` opens it read-only (nothing is created or changed)."""
        self.url = resolve_url(url)
        self.read_only = not create
        self.engine_url = self.url
        if self.url.startswith("sqlite:///"):
            path = Path(self.url.removeprefix("sqlite:///"))
            if self.read_only:
                if not path.is_file():
                    raise StoreError(f"no study store at {path}; run `dse run` first or pass "
                                     f"--storage URL.")
                self.engine_url = f"sqlite:///file:{path.resolve()}?mode=ro&uri=true"
            else:
                _check_sqlite_file(path)
                path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = create_engine(self.engine_url, pool_pre_ping=True)
            if self.read_only:
                self._check_tables()
            else:
                with self.exclusive(SCHEMA_LOCK_KEY):
                    self._migrate()
        except (ModuleNotFoundError, ImportError, NoSuchModuleError, ArgumentError) as exc:
            raise _unsupported(self.url, exc) from None
        except SQLAlchemyError as exc:
            raise _unreachable(self.url, exc) from None
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._optuna: optuna.storages.RDBStorage | None = None

    def _check_tables(self) -> None:
        """Read-only: the database must hold Optuna's and dse's tables."""
        have = set(inspect(self.engine).get_table_names())
        if not {"studies", "trials", "dse_trials"} <= have:
            raise StoreError(f"{redact(self.url)} holds no dse study store (its tables are "
                             f"missing); check --storage / $DSE_STORAGE, or run `dse run` to "
                             f"create one. Nothing was written to it.")

    @property
    def safe_url(self) -> str:
        """The URL with its password hidden: the only form that is printed or stored."""
        return redact(self.url)

    @contextmanager
    def exclusive(self, key: int = PREPARE_LOCK_KEY):
        """Hold a lock every process on this store shares, for a check-then-write that must
        happen once (schema creation, a study's one-time enqueues).

        PostgreSQL: a session-level advisory lock `key` (concurrent CREATE TABLE collides on
        pg_type). SQLite file: an flock on DB.lock (two workers creating a new file raced on
        Optuna's alembic_version row). Other databases: no lock.
        """
        file = self.url.removeprefix("sqlite:///")
        if self.engine.dialect.name == "sqlite" and self.url.startswith("sqlite:///") and \
                file and file != ":memory:":
            import fcntl

            lock = Path(file + ".lock")
            with open(lock, "a") as f:
                fcntl.flock(f, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(f, fcntl.LOCK_UN)
            return
        if self.engine.dialect.name != "postgresql":
            yield
            return
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})

    def _migrate(self) -> None:
        """Create missing tables and add missing columns (additive migrations)."""
        Base.metadata.create_all(self.engine)
        insp = inspect(self.engine)
        with self.engine.begin() as conn:
            for table in Base.metadata.sorted_tables:
                have = {c["name"] for c in insp.get_columns(table.name)}
                for col in table.columns:
                    if col.name not in have:
                        kind = col.type.compile(dialect=self.engine.dialect)
                        conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {col.name} "
                                          f"{kind}"))
            row = conn.execute(select(Meta).where(Meta.key == "schema_version")).first()
            if row is None:
                conn.execute(Meta.__table__.insert().values(key="schema_version",
                                                            value=str(SCHEMA_VERSION)))

    @property
    def optuna(self) -> optuna.storages.RDBStorage:
        """Optuna's storage on the same URL, with heartbeats and retry of dead workers' trials."""
        if self._optuna is None:
            retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=2)
            interval, grace = heartbeat()
            try:
                if self.read_only:
                    self._optuna = optuna.storages.RDBStorage(
                        self.engine_url, skip_table_creation=True,
                        skip_compatibility_check=True, engine_kwargs={"pool_pre_ping": True})
                    return self._optuna
                with self.exclusive(SCHEMA_LOCK_KEY):  # Optuna creates its tables here
                    self._optuna = optuna.storages.RDBStorage(
                        self.url, heartbeat_interval=interval, grace_period=grace,
                        heartbeat_stale_trial_callback=retry,
                        engine_kwargs={"pool_pre_ping": True})
            except Exception as exc:
                raise _unreachable(self.url, exc) from None
        return self._optuna

    def session(self) -> Session:
        """A new ORM session."""
        return self.sessions()

    # ------------------------------------------------------------------ writes
    def start_trial(self, study: str, number: int, fidelity: str, candidate: dict,
                    config_hash: str, hardware: dict) -> int:
        """Record a trial as running; returns its dse id."""
        with self.session() as s, s.begin():
            rec = TrialRecord(study_name=study, number=number, fidelity=fidelity,
                              candidate=candidate, config_hash=config_hash, status="running",
                              hardware=hardware)
            s.add(rec)
            s.flush()
            return rec.id

    def add_epoch(self, trial_id: int, repeat: int, row: dict) -> None:
        """Append one epoch row of a repeat; a diverged run's NaN is stored as NULL."""
        values = {k: None if math.isnan(float(row[k])) else float(row[k])
                  for k in EPOCH_FIELDS if k != "epoch"}
        with self.session() as s, s.begin():
            s.add(EpochRecord(trial_id=trial_id, repeat=repeat, epoch=int(row["epoch"]),
                              **values))

    def finish_trial(self, trial_id: int, status: str, measurements: dict | None = None,
                     reason: str | None = None, checkpoint: str | None = None,
                     reused_from: int | None = None) -> None:
        """Record how a trial (by dse id) ended and what it measured."""
        with self.session() as s, s.begin():
            rec = s.get(TrialRecord, trial_id)
            rec.status, rec.measurements, rec.reason = status, measurements, reason
            rec.checkpoint, rec.reused_from = checkpoint, reused_from
            rec.finished_at = datetime.now(UTC)

    def reconcile(self, study: str, finished: dict[int, str]) -> list[TrialRecord]:
        """Mark dse rows still 'running' whose Optuna trial has ended (a dead worker's trial
        failed by heartbeat) as failed; `finished` maps trial number -> Optuna state name.
        Returns the rows changed."""
        changed = []
        with self.session() as s, s.begin():
            rows = s.scalars(select(TrialRecord).where(TrialRecord.study_name == study,
                                                       TrialRecord.status == "running"))
            for rec in rows:
                state = finished.get(rec.number)
                if state is not None:
                    rec.status = "failed"
                    rec.reason = (f"its worker stopped (no heartbeat); Optuna marked the trial "
                                  f"{state.lower()} and re-queued its parameters")
                    rec.finished_at = datetime.now(UTC)
                    changed.append(rec)
        return changed

    def set_reason(self, trial_id: int, reason: str) -> None:
        """Attach a reason to a trial's row (a complete trial that did not learn, say)."""
        with self.session() as s, s.begin():
            s.get(TrialRecord, trial_id).reason = reason

    def arch_measurements(self, arch_key: str, machine: str) -> dict:
        """Architecture measurements stored for a spec on a machine ({} when none)."""
        with self.session() as s:
            rec = s.scalar(select(ArchRecord).where(ArchRecord.arch_key == arch_key,
                                                     ArchRecord.machine == machine))
            return dict(rec.measurements) if rec else {}

    def save_arch_measurements(self, arch_key: str, machine: str, values: dict) -> None:
        """Merge `values` into the stored measurements of a spec on a machine."""
        try:
            with self.session() as s, s.begin():
                rec = s.scalar(select(ArchRecord).where(ArchRecord.arch_key == arch_key,
                                                         ArchRecord.machine == machine))
                if rec is None:
                    s.add(ArchRecord(arch_key=arch_key, machine=machine, measurements=values))
                else:
                    rec.measurements = {**rec.measurements, **values}
        except SQLAlchemyError:  # another worker stored it first: theirs is as good
            pass

    def confirmation(self, study: str, number: int, epochs: int, seed: int,
                     candidate: dict, hardware: dict, train_images: int = 0) -> ConfirmRecord:
        """The confirmation row of (trial, epochs, seed, training images; 0 = all), created
        as running if new."""
        with self.session() as s, s.begin():
            rec = s.scalar(select(ConfirmRecord).where(
                ConfirmRecord.study_name == study, ConfirmRecord.number == number,
                ConfirmRecord.epochs == epochs, ConfirmRecord.seed == seed,
                ConfirmRecord.train_images == train_images))
            if rec is None:
                rec = ConfirmRecord(study_name=study, number=number, candidate=candidate,
                                    epochs=epochs, seed=seed, status="running",
                                    hardware=hardware, train_images=train_images)
                s.add(rec)
                s.flush()
            return rec

    def finish_confirmation(self, rec_id: int, status: str, test_accuracy: float | None = None,
                            curves: list | None = None, checkpoint: str | None = None,
                            reason: str | None = None, measurements: dict | None = None
                            ) -> None:
        """Record how a confirmation run ended."""
        with self.session() as s, s.begin():
            rec = s.get(ConfirmRecord, rec_id)
            rec.status, rec.test_accuracy, rec.reason = status, test_accuracy, reason
            rec.curves, rec.checkpoint, rec.measurements = curves, checkpoint, measurements
            rec.finished_at = datetime.now(UTC)

    def confirmations(self, study: str) -> list[ConfirmRecord]:
        """Every confirmation run of a study (a read-only store without the table: none)."""
        if "dse_confirmations" not in inspect(self.engine).get_table_names():
            return []
        with self.session() as s:
            return list(s.scalars(select(ConfirmRecord).where(
                ConfirmRecord.study_name == study).order_by(ConfirmRecord.number,
                                                            ConfirmRecord.seed)))

    # ------------------------------------------------------------------ reads
    def find_measured(self, config_hash: str, status: str = "complete"
                      ) -> TrialRecord | None:
        """A trial that measured this exact candidate, recipe, fidelity and seeds (the
        first), or with status "pruned" stopped it early (the last: a candidate continued
        after a late promotion and stopped again got furthest there)."""
        by = TrialRecord.number.desc() if status == "pruned" else TrialRecord.number
        with self.session() as s:
            return s.scalar(select(TrialRecord).where(
                TrialRecord.config_hash == config_hash, TrialRecord.status == status,
                TrialRecord.reused_from.is_(None)).order_by(by).limit(1))

    def find_running(self, config_hash: str, study: str, before: int) -> TrialRecord | None:
        """A trial of `study` started before record `before` that is training this exact
        candidate now (another worker's)."""
        with self.session() as s:
            return s.scalar(select(TrialRecord).where(
                TrialRecord.config_hash == config_hash, TrialRecord.study_name == study,
                TrialRecord.status == "running", TrialRecord.id < before)
                .order_by(TrialRecord.id).limit(1))

    def trials(self, study: str) -> list[TrialRecord]:
        """dse's records of a study's trials, by number."""
        with self.session() as s:
            return list(s.scalars(select(TrialRecord).where(TrialRecord.study_name == study)
                                  .order_by(TrialRecord.number)))

    def epochs(self, trial_ids: list[int] | None = None) -> list[EpochRecord]:
        """Epoch rows of the given trials (all when None)."""
        with self.session() as s:
            q = select(EpochRecord).order_by(EpochRecord.trial_id, EpochRecord.repeat,
                                             EpochRecord.epoch)
            if trial_ids is not None:
                q = q.where(EpochRecord.trial_id.in_(trial_ids))
            return list(s.scalars(q))

    def study_names(self) -> list[str]:
        """Names of the Optuna studies in this database."""
        try:
            return [s.study_name for s in optuna.get_all_study_summaries(self.optuna)]
        except SQLAlchemyError as exc:
            raise _unreachable(self.url, exc) from None

"""`Store`: opens (creating and migrating) the database that holds a study's records."""

from __future__ import annotations

import math
import warnings
from datetime import UTC, datetime
from pathlib import Path

import optuna
from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker, undefer

from dse.errors import StoreError
from dse.paths import locate
from dse.records import EPOCH_FIELDS, MEASURED, Candidate, EpochRow, Status
from dse.store.connect import (
    check_sqlite_file,
    heartbeat,
    resolve_url,
    unreachable,
    unsupported,
)
from dse.store.locking import exclusive, migrate
from dse.store.tables import ArchRecord, ConfirmRecord, EpochRecord, TrialRecord
from dse.store.url import redact

SCHEMA_LOCK_KEY = 0x0D5E  # advisory-lock ids on PostgreSQL: schema creation,
PREPARE_LOCK_KEY = 0x0D5F  # a study's one-time enqueues (feasible start, baselines)
# Heartbeats and stale-trial retry are marked experimental by Optuna; dse relies on them.
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def status_of(state: optuna.trial.TrialState) -> Status:
    """dse's status of an Optuna trial that has no dse row (its worker never wrote one)."""
    TS = optuna.trial.TrialState
    return {TS.COMPLETE: Status.COMPLETE, TS.PRUNED: Status.PRUNED, TS.FAIL: Status.FAILED,
            TS.RUNNING: Status.RUNNING, TS.WAITING: Status.WAITING}[state]


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
                check_sqlite_file(path)
                path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = create_engine(self.engine_url, pool_pre_ping=True)
            if self.read_only:
                self._check_tables()
            else:
                with self.exclusive(SCHEMA_LOCK_KEY):
                    migrate(self.engine)
        except (ModuleNotFoundError, ImportError, NoSuchModuleError, ArgumentError) as exc:
            raise unsupported(self.url, exc) from None
        except SQLAlchemyError as exc:
            raise unreachable(self.url, exc) from None
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
    def folder(self) -> Path | None:
        """The folder of a SQLite store's file; None for a database server."""
        if self.url.startswith("sqlite:///"):
            return Path(self.url.removeprefix("sqlite:///")).parent
        return None

    def locate(self, recorded: str | None) -> Path | None:
        """A file this store recorded (a checkpoint), where it is now: as recorded, or
        found again under the current folder or the store's folder after the repository
        was cloned or moved (`dse.paths.locate`); None if it is nowhere."""
        if not recorded:
            return None
        return locate(recorded, [Path.cwd(), *([self.folder] if self.folder else [])])

    @property
    def safe_url(self) -> str:
        """The URL with its password hidden: the only form that is printed or stored."""
        return redact(self.url)

    def exclusive(self, key: int = PREPARE_LOCK_KEY):
        """A lock every process on this store shares (`dse.store.locking.exclusive`)."""
        return exclusive(self.engine, self.url, key)

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
                raise unreachable(self.url, exc) from None
        return self._optuna

    def session(self) -> Session:
        """A new ORM session."""
        return self.sessions()

    # ------------------------------------------------------------------ writes
    def start_trial(self, study: str, number: int, fidelity: str, candidate: Candidate,
                    config_hash: str, hardware: dict) -> int:
        """Record a trial as running; returns its dse id."""
        with self.session() as s, s.begin():
            rec = TrialRecord(study_name=study, number=number, fidelity=fidelity,
                              candidate=candidate.to_dict(), config_hash=config_hash,
                              status=Status.RUNNING,
                              hardware=hardware)
            s.add(rec)
            s.flush()
            return rec.id

    def add_epoch(self, trial_id: int, repeat: int, row: EpochRow) -> None:
        """Append one epoch row of a repeat; a diverged run's NaN is stored as NULL."""
        values = {k: None if math.isnan(float(row[k])) else float(row[k])
                  for k in EPOCH_FIELDS if k != "epoch"}
        with self.session() as s, s.begin():
            s.add(EpochRecord(trial_id=trial_id, repeat=repeat, epoch=int(row["epoch"]),
                              **values))

    def finish_trial(self, trial_id: int, status: Status, measurements: dict | None = None,
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
                                                       TrialRecord.status == Status.RUNNING))
            for rec in rows:
                state = finished.get(rec.number)
                if state is not None:
                    rec.status = Status.FAILED
                    rec.reason = (f"its worker stopped (no heartbeat); Optuna marked the trial "
                                  f"{state.lower()} and re-queued its parameters")
                    rec.finished_at = datetime.now(UTC)
                    changed.append(rec)
        return changed

    def status_counts(self, study: str) -> dict[Status, int]:
        """How many of a study's trials have each status."""
        with self.session() as s:
            rows = s.execute(select(TrialRecord.status, func.count()).where(
                TrialRecord.study_name == study).group_by(TrialRecord.status))
            return {Status(k): n for k, n in rows}

    def trial(self, trial_id: int) -> TrialRecord | None:
        """One trial's record by dse id."""
        with self.session() as s:
            return s.get(TrialRecord, trial_id)

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

    def finish_confirmation(self, rec_id: int, status: Status, test_accuracy: float | None = None,
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
        insp = inspect(self.engine)
        if "dse_confirmations" not in insp.get_table_names():
            return []
        have = {c["name"] for c in insp.get_columns("dse_confirmations")}
        claim = [undefer(getattr(ConfirmRecord, k)) for k in ("owner", "beat_at") if k in have]
        with self.session() as s:
            return list(s.scalars(select(ConfirmRecord).options(*claim).where(
                ConfirmRecord.study_name == study).order_by(ConfirmRecord.number,
                                                            ConfirmRecord.seed)))

    # ------------------------------------------------------------------ reads
    def find_measured(self, config_hash: str, pruned: bool = False) -> TrialRecord | None:
        """A trial that measured this exact candidate, recipe, fidelity and seeds to the end
        (the first), or with `pruned` one the scheduler stopped early (the last: a candidate
        continued after a late promotion and stopped again got furthest there)."""
        by = TrialRecord.number.desc() if pruned else TrialRecord.number
        wanted = [Status.PRUNED] if pruned else list(MEASURED)
        with self.session() as s:
            return s.scalar(select(TrialRecord).where(
                TrialRecord.config_hash == config_hash, TrialRecord.status.in_(wanted),
                TrialRecord.reused_from.is_(None)).order_by(by).limit(1))

    def find_running(self, config_hash: str, study: str, before: int) -> TrialRecord | None:
        """A trial of `study` started before record `before` that is training this exact
        candidate now (another worker's)."""
        with self.session() as s:
            return s.scalar(select(TrialRecord).where(
                TrialRecord.config_hash == config_hash, TrialRecord.study_name == study,
                TrialRecord.status == Status.RUNNING, TrialRecord.id < before)
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
            raise unreachable(self.url, exc) from None

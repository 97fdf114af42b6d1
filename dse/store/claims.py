"""Claims on confirmation runs: processes on one or many machines that share a store train
each (trial, epochs, seed) once.

A run belongs to the process that claimed it (`owner`, host:pid) while that process beats
(`beat_at`) every heartbeat interval. Anyone else may take it over when it is not running,
when its owner stopped beating for the heartbeat grace, or at once when the owner was a
process of this host that no longer exists (a crash, then a rerun). A takeover is one
conditional UPDATE, so of two processes racing for a run exactly one wins.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import undefer

from dse.records import Candidate, Status
from dse.store.connect import heartbeat
from dse.store.tables import ConfirmRecord

REUSED = "trained by study "  # the reason of a run copied from another study
CLAIM = (undefer(ConfirmRecord.owner), undefer(ConfirmRecord.beat_at))  # load them too


def me() -> str:
    """This process as an owner: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, owned by another user
    return True


def _age_s(when: datetime) -> float:
    if when.tzinfo is None:  # SQLite hands back naive datetimes; dse writes UTC
        when = when.replace(tzinfo=UTC)
    return (datetime.now(UTC) - when).total_seconds()


def held_elsewhere(rec: ConfirmRecord, grace: float) -> bool:
    """Whether another live process is training `rec` now."""
    if rec.status != Status.RUNNING or not rec.owner or rec.beat_at is None:
        return False
    if rec.owner == me():
        return False
    host, _, pid = rec.owner.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return _pid_alive(int(pid))
    return _age_s(rec.beat_at) < grace


def claim(store, study: str, number: int, epochs: int, seed: int, candidate: Candidate,
          hardware: dict, train_images: int = 0,
          reuse: Callable[[ConfirmRecord], bool] | None = None) -> ConfirmRecord | None:
    """The run's row, claimed by this process (new, or taken over), or as it is when
    complete; None while another live process trains it. A new run that another study of
    the store has completed (the same candidate, epochs, seed and images) and that `reuse`
    accepts is stored complete at once, as a copy naming that study."""
    grace = heartbeat()[1]
    now, owner = datetime.now(UTC), me()
    key = (ConfirmRecord.study_name == study, ConfirmRecord.number == number,
           ConfirmRecord.epochs == epochs, ConfirmRecord.seed == seed,
           ConfirmRecord.train_images == train_images)
    done = _done_elsewhere(store, study, epochs, seed, train_images, candidate, reuse)
    try:
        with store.session() as s, s.begin():
            rec = s.scalar(select(ConfirmRecord).options(*CLAIM).where(*key))
            if rec is None and done is not None:
                rec = _copy(done, study, number)
                s.add(rec)
                s.flush()
                return rec
            if rec is None:
                rec = ConfirmRecord(study_name=study, number=number, epochs=epochs, seed=seed,
                                    candidate=candidate.to_dict(), status=Status.RUNNING,
                                    hardware=hardware, train_images=train_images,
                                    owner=owner, beat_at=now)
                s.add(rec)
                s.flush()
                return rec
            if rec.status == Status.COMPLETE:
                return rec
            if held_elsewhere(rec, grace):
                return None
            was = (ConfirmRecord.owner.is_(None) if rec.owner is None
                   else ConfirmRecord.owner == rec.owner)
            took = s.execute(update(ConfirmRecord).where(
                ConfirmRecord.id == rec.id, ConfirmRecord.status == rec.status, was).values(
                owner=owner, beat_at=now, status=Status.RUNNING, hardware=hardware))
            if took.rowcount != 1:
                return None  # another process took it between our read and our write
        with store.session() as s:
            return s.get(ConfirmRecord, rec.id, options=CLAIM)
    except IntegrityError:  # another process created the row first: it is theirs
        return None


def _done_elsewhere(store, study: str, epochs: int, seed: int, train_images: int,
                    candidate: Candidate, reuse) -> ConfirmRecord | None:
    """A complete run of another study that trained exactly this one, if `reuse` takes it
    (read before the claim's transaction, which `reuse` may not hold open)."""
    if reuse is None:
        return None
    want = json.dumps(candidate.to_dict(), sort_keys=True)
    with store.session() as s:
        same = [rec for rec in s.scalars(select(ConfirmRecord).where(
            ConfirmRecord.study_name != study, ConfirmRecord.status == Status.COMPLETE,
            ConfirmRecord.epochs == epochs, ConfirmRecord.seed == seed,
            ConfirmRecord.train_images == train_images).order_by(ConfirmRecord.id))
            if json.dumps(rec.candidate, sort_keys=True) == want]
    return next((rec for rec in same if reuse(rec)), None)


def _copy(done: ConfirmRecord, study: str, number: int) -> ConfirmRecord:
    """`done` as a complete run of `study`'s trial `number`, saying where it was trained."""
    return ConfirmRecord(
        study_name=study, number=number, epochs=done.epochs, seed=done.seed,
        candidate=done.candidate, status=Status.COMPLETE, train_images=done.train_images,
        reason=f"{REUSED}{done.study_name!r} (its run {done.number}, seed {done.seed})",
        test_accuracy=done.test_accuracy, curves=done.curves, checkpoint=done.checkpoint,
        measurements=done.measurements, hardware=done.hardware, started_at=done.started_at,
        finished_at=done.finished_at)


def beat(store, rec_id: int) -> bool:
    """Mark the run as alive; False when another process has taken it over."""
    with store.session() as s, s.begin():
        done = s.execute(update(ConfirmRecord).where(
            ConfirmRecord.id == rec_id, ConfirmRecord.owner == me()).values(
            beat_at=datetime.now(UTC)))
        return done.rowcount == 1


@contextmanager
def beating(store, rec_id: int) -> Iterator[None]:
    """Beat for the run every heartbeat interval in a background thread while the body
    trains it (a store that cannot be reached for a beat is retried at the next one)."""
    interval = heartbeat()[0]
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            with suppress(Exception):  # the training must not die of a missed beat
                beat(store, rec_id)

    thread = threading.Thread(target=loop, name=f"dse-beat-{rec_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()

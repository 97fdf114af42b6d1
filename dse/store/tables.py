"""dse's own tables, kept in the same database as Optuna's: what Optuna does not hold."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SCHEMA_VERSION = 1


def _now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of dse's tables (all prefixed dse_)."""


class Meta(Base):
    """Key-value facts about the schema (its version)."""

    __tablename__ = "dse_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class TrialRecord(Base):
    """One Optuna trial as dse sees it: candidate, hash, status, measurements, artefacts."""

    __tablename__ = "dse_trials"
    __table_args__ = (UniqueConstraint("study_name", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_name: Mapped[str] = mapped_column(String(512), index=True)
    number: Mapped[int] = mapped_column(Integer)  # Optuna's per-study trial number
    fidelity: Mapped[str] = mapped_column(String(64))
    candidate: Mapped[dict] = mapped_column(JSON)
    config_hash: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(32))  # a dse.records.Status
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    measurements: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    checkpoint: Mapped[str | None] = mapped_column(Text, nullable=True)
    hardware: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    reused_from: Mapped[int | None] = mapped_column(Integer, nullable=True)  # dse_trials.id
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    def dashboard(self) -> dict:
        """What optuna-dashboard shows of this record, as Optuna user attributes: derived
        from it (dse's tables hold the one copy), set again whenever the record changes."""
        out = {"dse_id": self.id, "candidate": self.candidate}
        if self.measurements:
            out["measurements"] = {k: v for k, v in self.measurements.items()
                                   if k != "accuracies"}
        return out


class EpochRecord(Base):
    """One epoch of one repeat of one trial: the papers' live curves (NULL where NaN)."""

    __tablename__ = "dse_epochs"
    __table_args__ = (UniqueConstraint("trial_id", "repeat", "epoch"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("dse_trials.id"), index=True)
    repeat: Mapped[int] = mapped_column(Integer)
    epoch: Mapped[int] = mapped_column(Integer)
    lr: Mapped[float | None] = mapped_column(Float, nullable=True)
    train_loss: Mapped[float | None] = mapped_column(Float, nullable=True)
    train_acc: Mapped[float | None] = mapped_column(Float, nullable=True)
    val_loss: Mapped[float | None] = mapped_column(Float, nullable=True)
    val_acc: Mapped[float | None] = mapped_column(Float, nullable=True)
    train_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    eval_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    epoch_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    train_images_per_s: Mapped[float | None] = mapped_column(Float, nullable=True)


class ArchRecord(Base):
    """Architecture measurements, once per model spec and machine, shared by all workers."""

    __tablename__ = "dse_arch"
    __table_args__ = (UniqueConstraint("arch_key", "machine"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    arch_key: Mapped[str] = mapped_column(String(64), index=True)  # hash of spec + data set
    machine: Mapped[str] = mapped_column(String(256))  # CPU model and thread count
    measurements: Mapped[dict] = mapped_column(JSON)
    measured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class ConfirmRecord(Base):
    """A confirmation run: one trial's candidate retrained on the whole training set with one
    seed, evaluated on the test set (`dse confirm`)."""

    __tablename__ = "dse_confirmations"
    __table_args__ = (UniqueConstraint("study_name", "number", "epochs", "seed",
                                       "train_images"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_name: Mapped[str] = mapped_column(String(512), index=True)
    number: Mapped[int] = mapped_column(Integer)  # the trial it confirms
    candidate: Mapped[dict] = mapped_column(JSON)
    epochs: Mapped[int] = mapped_column(Integer)
    train_images: Mapped[int] = mapped_column(Integer)  # 0: the whole training set
    seed: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))  # a dse.records.Status
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    test_accuracy: Mapped[float | None] = mapped_column(Float, nullable=True)
    curves: Mapped[list | None] = mapped_column(JSON, nullable=True)
    checkpoint: Mapped[str | None] = mapped_column(Text, nullable=True)
    measurements: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # params, MACs, size
    hardware: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # the claim (dse.store.claims): host:pid training it, its last heartbeat. Deferred: a
    # store opened read-only (a committed one) may predate them
    owner: Mapped[str | None] = mapped_column(String(300), nullable=True, deferred=True)
    beat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True,
                                                     deferred=True)

"""A fidelity: how much training one candidate gets, and the scheduler that may stop it."""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from dse.search.dims import _Strict
from dse.search.schedulers import Scheduler, get_scheduler, schedulers
from dse.supernet import SupernetRecipe


class Oneshot(_Strict):
    """A candidate's accuracy from a trained supernet of its space instead of its own
    training: weights sliced out, BatchNorm recalibrated on `calib_images` training images,
    then the fidelity's `epochs` of fine-tuning (0: none) before validation."""

    supernet: SupernetRecipe = SupernetRecipe()
    calib_images: int = Field(default=2048, ge=64, le=1_000_000)


class Fidelity(_Strict):
    """How much training one candidate gets, and the scheduler that may stop it early."""

    oneshot: Oneshot | None = None  # first: epochs' check reads it
    epochs: int = Field(ge=0, le=10_000)  # 0 only with oneshot (no fine-tuning)
    train_images: int | None = Field(default=None, ge=10)  # None -> the whole training split
    val_size: int = Field(default=5000, ge=10)  # carved from the training set
    val_images: int | None = Field(default=None, ge=10)  # evaluated subset of val
    repeats: int = Field(default=1, ge=1, le=100)  # seeds per candidate; mean and std stored
    latency_repeats: int = Field(default=30, ge=1, le=100_000)
    scheduler: dict[str, Any] = {"none": {}}  # {name: options}, see dse.search.schedulers

    @field_validator("epochs")
    @classmethod
    def _epochs(cls, v: int, info: ValidationInfo) -> int:
        if v == 0 and info.data.get("oneshot") is None:
            raise ValueError("Input should be greater than or equal to 1 (0 only for a "
                             "oneshot fidelity, which takes its accuracy from a supernet)")
        return v

    @model_validator(mode="after")
    def _oneshot(self):
        if self.oneshot is not None and (self.repeats > 1 or self.scheduler != {"none": {}}):
            raise ValueError("a oneshot fidelity evaluates each candidate once from the "
                             "supernet: leave repeats at 1 and the scheduler at none")
        return self

    @field_validator("scheduler", mode="before")
    @classmethod
    def _scheduler(cls, v):
        if isinstance(v, str):
            v = {v: {}}
        if not isinstance(v, dict) or len(v) != 1:
            raise ValueError(f"a scheduler name, or {{name: {{options}}}}; schedulers: "
                             f"{', '.join(schedulers())}")
        (name, options), = v.items()
        sched = get_scheduler(name)
        return {name: sched.Options.model_validate(options or {}).model_dump()}

    def key_dict(self) -> dict:
        """The settings that key a stored measurement (`oneshot` only when set, so that
        the keys of fidelities without it are what they were before it existed)."""
        d = self.model_dump()
        if d["oneshot"] is None:
            del d["oneshot"]
        return d

    def make_scheduler(self) -> Scheduler:
        """A fresh scheduler for this fidelity."""
        (name, options), = self.scheduler.items()
        cls = get_scheduler(name)
        return cls(cls.Options.model_validate(options), self.epochs)

    def rungs(self) -> list[int]:
        """Epochs at which the scheduler decides (empty: it never stops a trial early)."""
        return self.make_scheduler().rungs()

"""The plan of `dse auto`, fixed before its first trial: stages and their time, the rule
that picks what is trained longer (validation figures only), the final budget, seeds and
the baseline; and the two picks the rule makes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from dse.errors import ConfigError

SHARES = {"search": 0.5, "ladder": 0.2, "final": 0.3}  # of the wall-time budget


class AutoPlan(BaseModel):
    """What `dse auto` will do, stored with the study (`auto_plan`) before its first trial."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    space: str
    study: str  # the search; the ladder runs in `<study>-ladder`
    budget_s: float = Field(gt=0)
    workers: int = Field(ge=1)
    search_fidelity: str
    search_s: float
    search_trials: int | None = Field(default=None, ge=1)  # the search also ends at this many
    ladder_s: float  # plus what the search leaves of its time
    ladder_epochs: int = Field(default=10, ge=1)
    ladder_images: int | None = None  # training images of a ladder run (None: all)
    val_size: int = Field(default=5000, ge=10)  # held out for the ladder (search fidelity's)
    per_bin: int | None = Field(default=None, ge=1)  # None: sized from ladder_tau per bin
    ladder_tau: float | None = None  # the search fidelity's calibrated Kendall (better half)
    ladder_chance: float = Field(default=0.8, gt=0, lt=1)
    bins: int = Field(default=3, ge=1)
    finalists: int = Field(default=2, ge=1)
    final_epochs: int = Field(default=30, ge=1)
    final_images: int | None = None  # training images of a final run (None: all)
    seeds: int = Field(default=3, ge=2)
    baseline: str
    alpha: float = 0.05
    profile_latency: int = Field(default=0, ge=0)  # networks of a profile fitted first (0: none)

    @property
    def ladder_study(self) -> str:  # noqa: D102
        return f"{self.study}-ladder"

    def lines(self) -> list[str]:
        """The plan in words, printed at the start."""
        h = 3600
        first = [f"  0. fit a latency profile on this machine ({self.profile_latency} networks "
                 f"timed on one core), within the search's time"] if self.profile_latency else []
        return [
            f"dse auto plan for {self.space} (study {self.study!r}, {self.workers} worker(s), "
            f"budget {self.budget_s / h:.2f} h of wall time):", *first,
            f"  1. search {self.search_s / h:.2f} h at fidelity {self.search_fidelity!r}"
            + (f", or until {self.search_trials} trials are done if sooner"
               if self.search_trials else ""),
            f"  2. ladder {self.ladder_s / h:.2f} h and what the search left of its time: "
            f"the {self._per_bin_words()} best feasible trials by validation accuracy in "
            f"each of {self.bins} size bins (round-robin over the bins), trained "
            f"{self.ladder_epochs} epochs on {_images(self.ladder_images)} of the training "
            f"split less {self.val_size:,} held-out ones and validated on those, in study "
            f"{self.ladder_study!r}, until the time is spent",
            f"  3. final: the {self.finalists} best ladder trials by validation accuracy and "
            f"{self.baseline}, {self.final_epochs} epochs x seeds 0-{self.seeds - 1} on "
            f"{_images(self.final_images)} of the training split, test set",
            f"  4. compare each finalist with {self.baseline}: Welch one-sided, Holm-adjusted "
            f"over the {self.finalists}; won if the adjusted p < {self.alpha:g} and the lead "
            f"exceeds twice the pooled sd",
            "  5. export the finalist with the best ladder validation accuracy (chosen before "
            "any test figure): float32, int8 and its card; auto.md says what was won",
        ]


    def _per_bin_words(self) -> str:
        if self.per_bin is not None:
            return str(self.per_bin)
        if self.ladder_tau is None:
            return str(DEFAULT_PER_BIN)
        return (f"k (sized per bin: the fewest search ranks that hold the bin's truly best "
                f"trial with chance {self.ladder_chance:g} at the calibrated Kendall "
                f"{self.ladder_tau:.2f})")

    def bin_picks(self, pool: int) -> int:
        """How many of a bin's `pool` trials go to the ladder."""
        if self.per_bin is not None:
            return self.per_bin
        if self.ladder_tau is None:
            return DEFAULT_PER_BIN
        return ladder_size(self.ladder_tau, pool, self.ladder_chance)


def _images(count: int | None) -> str:
    return f"{count:,} images" if count else "all images"


DEFAULT_PER_BIN = 8  # without a calibration of the search fidelity
ONESHOT_TRIALS = 500  # a oneshot search's trials take seconds: it ends at this many


def ladder_size(tau: float, pool: int, chance: float = 0.8, draws: int = 20_000) -> int:
    """The fewest top search ranks among `pool` trials that hold the truly best one with
    `chance`, when search and truth are bivariate normal with Kendall `tau` (Pearson
    sin(pi tau / 2), Greiner's relation); Monte Carlo with a fixed seed."""
    if pool <= 1:
        return max(pool, 1)
    rho = math.sin(math.pi * max(min(tau, 1.0), -1.0) / 2)
    rng = np.random.default_rng(0)
    truth = rng.standard_normal((draws, pool))
    search = rho * truth + math.sqrt(max(1 - rho * rho, 0.0)) * rng.standard_normal(
        (draws, pool))
    best = truth.argmax(1)
    rank = (search > search[np.arange(draws), best][:, None]).sum(1)  # 0: ranked first
    return int(min(pool, np.quantile(rank, chance, method="higher") + 1))


def calibrated_tau(summary: dict | None, fidelity: str) -> float | None:
    """Kendall within the better half of `last_val_acc` for `fidelity` in a calibration
    summary (`dse fidelity check`), or None where it is missing or undefined."""
    try:
        tau = summary["fidelities"][fidelity]["signals"]["last_val_acc"]["better_half"][
            "kendall"]
    except (KeyError, TypeError):
        return None
    return None if tau is None or math.isnan(tau) else float(tau)


def make_plan(space, space_ref: str, budget_s: float, workers: int, study: str | None = None,
              fidelity: str | None = None, baseline: str | None = None,
              calibration: dict | None = None, **options) -> AutoPlan:
    """The plan for a loaded `space` (named `space_ref`) and a wall-time budget; the
    ladder is sized from `calibration` (the space's stored calibration summary) unless
    `per_bin` is given."""
    base = baseline or (space.baselines[0] if space.baselines else None)
    if base is None:
        raise ConfigError(f"space {space.name!r} names no baseline to beat; give --baseline "
                          f"NAME (e.g. hps-06-0.5x).")
    search = fidelity or space.default_fidelity
    if options.get("search_trials") is None and space.fidelities[search].oneshot is not None:
        options["search_trials"] = ONESHOT_TRIALS
    options.setdefault("val_size", space.fidelities[search].val_size)
    return AutoPlan(space=space_ref, study=study or space.study, budget_s=budget_s,
                    workers=workers, search_fidelity=search,
                    search_s=budget_s * SHARES["search"], ladder_s=budget_s * SHARES["ladder"],
                    baseline=base, ladder_tau=calibrated_tau(calibration, search),
                    **{k: v for k, v in options.items() if v is not None})


def ladder_order(frame: pd.DataFrame, plan: AutoPlan) -> list[int]:
    """Search trials to train on the ladder, in order: feasible completed trials (no
    baselines), the plan's number (`bin_picks`) of best by validation accuracy in each
    size bin (equal-count bins by size_mb), taken round-robin from the bins, best first
    within each."""
    ok = frame[(frame["status"] == "complete") & frame["feasible"] & frame["baseline"].isna()
               & frame["accuracy"].notna()]
    ok = ok.drop_duplicates(subset="model").sort_values("size_mb")
    if ok.empty:
        return []
    n = len(ok)
    per = math.ceil(n / plan.bins)
    bins = [ok.iloc[b * per:(b + 1) * per].sort_values("accuracy", ascending=False)
            for b in range(plan.bins) if b * per < n]
    bins = [b.iloc[:plan.bin_picks(len(b))] for b in bins]
    out: list[int] = []
    for rank in range(max(len(b) for b in bins)):
        out += [int(b.iloc[rank]["trial"]) for b in bins if rank < len(b)]
    return out


def finalists(frame: pd.DataFrame, plan: AutoPlan) -> list[int]:
    """The ladder trials with the best validation accuracy (feasible, completed)."""
    ok = frame[(frame["status"] == "complete") & frame["feasible"] & frame["accuracy"].notna()
               & frame["baseline"].isna()]
    return [int(t) for t in ok.sort_values("accuracy", ascending=False)["trial"]
            [:plan.finalists]]

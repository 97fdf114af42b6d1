"""`load_space`, `example_candidate`, `count_architectures`: a search space inspected."""

from __future__ import annotations

from collections.abc import Callable

import optuna

from dse.errors import ConfigError
from dse.records import Candidate
from dse.search.candidate import sample
from dse.search.census import census
from dse.search.space import SearchSpace, load_space
from dse.search.supernets import describe_groups
from dse.supernet import FIXED_DIMS, SHARED_DIMS

__all__ = ["count_architectures", "example_candidate", "load_space", "supernets"]


def supernets(space: SearchSpace) -> list[str]:
    """Lines saying which supernets a space's oneshot fidelities train (none without one)."""
    if not any(f.oneshot for f in space.fidelities.values()):
        return []
    lines = describe_groups(space)
    return [f"oneshot: {len(lines)} supernet{'s' if len(lines) != 1 else ''}, one per value "
            f"of {', '.join(FIXED_DIMS)}; shared by {', '.join(SHARED_DIMS)}",
            *(f"  supernet {line}" for line in lines)]


def example_candidate(space: SearchSpace) -> Candidate:
    """One candidate drawn from the space (as its first trial would be, unconstrained)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return sample(space, optuna.create_study(directions=space.directions).ask())


def count_architectures(space: SearchSpace, samples: int = 1000,
                        progress: Callable[[int, int], None] | None = None):
    """How many distinct architectures meet the space's constraints: counted exactly, or
    estimated from `samples` draws with a Wilson interval (`dse.search.census`). Only
    architecture metrics (size, params, MACs) can be counted before training."""
    timed = [str(c) for c in space.constraints if not c.arch]
    if timed:
        raise ConfigError(f"cannot count architectures under {', '.join(timed)}: only "
                          f"architecture metrics (size_mb, params, macs) are known before "
                          f"training; drop those constraints to count.")
    return census(space, samples=samples, progress=progress)

"""Keys of stored measurements: a candidate at a fidelity, an architecture on a machine."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from dse import hardware
from dse.records import Candidate
from dse.search.fidelity import Fidelity


def candidate_hash(candidate: Candidate, fidelity: Fidelity, dataset: str, seed: int) -> str:
    """Key of a measurement: same architecture, recipe, fidelity, data set and seed."""
    blob = json.dumps({"c": candidate.to_dict(), "f": fidelity.key_dict(), "d": dataset,
                       "s": seed}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def arch_key(spec: dict, dataset: str) -> str:
    """Key of an architecture's measurements: the model spec and the data set's classes."""
    return hashlib.sha256(json.dumps([spec, dataset], sort_keys=True).encode()).hexdigest()[:32]


def machine_name() -> str:
    """What architecture measurements are valid for: the CPU model, one thread, and the
    latency profile when $DSE_LATENCY_PROFILE names one (a prediction is the profile's)."""
    name = f"{hardware.cpu_name()}, 1 thread"
    profile = os.environ.get("DSE_LATENCY_PROFILE")
    if profile:
        try:
            digest = hashlib.sha256(Path(profile).read_bytes()).hexdigest()[:12]
        except OSError:
            digest = "unreadable"  # the metric itself says what is wrong with the file
        name += f", latency profile {digest}"
    return name

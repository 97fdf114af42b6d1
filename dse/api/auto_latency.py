"""`dse auto` and predicted latency: saying when the latency profile was fitted on another
kind of CPU, and fitting one here first when asked (`--profile-latency`)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import optuna

from dse import hardware
from dse.api.auto_plan import AutoPlan
from dse.api.latency_model import latency_profile

# measured: bench/results/latency-profile-time.txt
PROFILE_TIME = ("60 small networks exported and timed on one quiet core, about 11 minutes "
                "on a 2-core Xeon")


def _uses_latency(sp) -> bool:
    return "predicted_latency_ms" in {*sp.objectives, *(c.metric for c in sp.constraints)}


def latency_note(sp) -> str | None:
    """A line when the space uses predicted latency and the latency profile was fitted on
    another kind of CPU than this one."""
    if not _uses_latency(sp):
        return None
    from dse.deploy.latency_model import active_profile  # lazy: onnx-free, but numpy

    fitted, here = str(active_profile().data.get("cpu") or "?"), hardware.cpu_name()
    if fitted != "?" and fitted.lower() in here.lower():
        return None
    return (f"note: predicted_latency_ms uses a latency profile fitted on {fitted}; this "
            f"machine is {here}. It ranks networks much as this machine would, but its "
            f"milliseconds are the profile's: a bound relative to a model "
            f"('predicted_latency_ms <= 1.1x hps-06-0.5x', a ratio of two predictions) keeps "
            f"its meaning across machines. `dse auto --profile-latency` fits a profile here "
            f"first ({PROFILE_TIME}), or `dse latency-model profile --out FILE` does, then set "
            f"DSE_LATENCY_PROFILE.")


def fit_profile(plan: AutoPlan, sp, folder: Path, search: optuna.Study, say) -> Path | None:
    """Fit a latency profile on this machine from `plan.profile_latency` networks of the
    space (once; a continued run uses the same file) and make it the active profile of
    this process and its workers; the time it takes counts in the search's."""
    if not _uses_latency(sp):
        say("--profile-latency: the space does not use predicted_latency_ms; no profile "
            "fitted")
        return None
    path = folder / "latency-profile.json"
    if not path.is_file():
        say(f"fitting a latency profile on this machine ({hardware.cpu_name()}): "
            f"{plan.profile_latency} networks of the space exported and timed on one core")
        t0 = time.monotonic()
        folder.mkdir(parents=True, exist_ok=True)
        fitted = latency_profile(path, space=plan.space, count=plan.profile_latency, say=say)
        used = time.monotonic() - t0
        search.set_user_attr("auto_search_s",
                             float(search.user_attrs.get("auto_search_s", 0.0)) + used)
        say(f"latency profile fitted in {used / 60:.1f} min (median |error| "
            f"{fitted['fit']['median_abs_rel_error']:.1%} on its own networks): {path}")
    else:
        say(f"latency profile fitted here at the start: {path}")
    os.environ["DSE_LATENCY_PROFILE"] = str(path.resolve())
    return path

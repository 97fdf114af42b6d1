"""Study baselines: the papers' variants as trials of a study, at the study's own fidelity.

A space may list registered variants under `baselines:`; `dse run` (unless
`--no-baselines`) enqueues each one the space can express, with dse's default recipe (the
papers' SGD recipe) and meeting the architecture-only constraints, as a trial tagged with
the user attribute `baseline`. Every front is then compared with the hand-designed models
trained exactly like its own candidates; the papers' published figures stay separate.
"""

from __future__ import annotations

from dataclasses import asdict

import optuna

from dse.models import get_entry
from dse.models.registry import make_config, model_spec
from dse.records import Candidate
from dse.search.candidate import sample
from dse.search.dims import OPTIONAL_RECIPE_KEYS, contains
from dse.search.feasible import ArchCheck
from dse.search.params import all_dims, encode
from dse.search.space import RECIPE_KEYS, Choice, FloatRange, IntRange, LogRange
from dse.train.recipe import DEFAULT_RECIPE


def _contains(dim, value) -> bool:
    """Ranges and choices: `contains`; fixed values are compared on the sampled candidate."""
    return contains(dim, value) if isinstance(dim, Choice | IntRange | FloatRange | LogRange) \
        else True


def _wanted(name: str) -> dict:
    """Parameter values that would make the variant `name` with the default recipe."""

    out = {"model": name}
    cfg = make_config(name)
    resolved = cfg.canonical()  # a width's channels, for spaces that search channels
    dims = {k: (resolved.get(k) if v is None else v) for k, v in cfg.model_dump().items()}
    for key, value in dims.items():
        if isinstance(value, list | tuple):  # element by element: blocks1, blocks2, ...
            out.update({f"{key}{i + 1}": v for i, v in enumerate(value)})
        else:
            out[key] = value
    r = DEFAULT_RECIPE
    out.update({"optimizer": r.optimizer, f"{r.optimizer}.lr": r.lr, "schedule": r.schedule,
                **{f"{r.optimizer}.{k}": v for k, v in r.optimizer_kwargs.items()},
                **{f"{r.schedule}.{k}": v for k, v in r.schedule_kwargs.items()},
                **{k: getattr(r, k) for k in (*RECIPE_KEYS, *OPTIONAL_RECIPE_KEYS)}})
    return out


def baseline_params(space, name: str) -> tuple[dict | None, str]:
    """The space's parameters for variant `name` with the default recipe, or (None, why not)."""

    wanted, params = _wanted(name), {}
    for pname, dim in all_dims(space).items():
        if not isinstance(dim, Choice | IntRange | FloatRange | LogRange):
            continue
        branch = pname.split(".")[0] if "." in pname else None
        if branch and wanted.get("optimizer") != branch and wanted.get("schedule") != branch:
            continue  # a parameter of a branch the recipe does not take
        if pname not in wanted or not _contains(dim, wanted[pname]):
            return None, f"{pname}={wanted.get(pname)!r} is outside the space"
        params[pname] = encode(wanted[pname])
    try:
        cand = sample(space, optuna.trial.FixedTrial(params))
        same_model = (make_config(**_spec_args(cand.model)).canonical()
                      == make_config(**_spec_args(model_spec(name))).canonical())
    except Exception as exc:  # a branch parameter the recipe has no value for, ...
        return None, f"not expressible in the space ({type(exc).__name__})"
    want_train = baseline_candidate(name).train
    differs = [k for k, v in want_train.items() if k in cand.train and cand.train[k] != v]
    if not same_model:
        return None, "the space fixes a model dimension to another value"
    if differs:
        return None, f"the space fixes {', '.join(differs)} to another value"
    return params, ""


def _spec_args(spec: dict) -> dict:
    spec = dict(spec)
    return {"name": spec.pop("name"), **spec}


def enqueue_baselines(space, study: optuna.Study, names: list[str]) -> list[tuple[str, str]]:
    """Enqueue the variants not yet in the study; returns (name, what happened) per name."""

    present = {t.user_attrs.get("baseline") for t in study.get_trials(deepcopy=False)}
    check, out = ArchCheck(space), []
    for name in names:
        if name in present:
            out.append((name, "already in the study"))
            continue
        params, why = baseline_params(space, name)
        if params is None:
            out.append((name, f"skipped: {why}"))
        elif check and not check.feasible(model_spec(name)):
            out.append((name, "skipped: breaks an architecture constraint"))
        else:
            study.enqueue_trial(params, user_attrs={"baseline": name})
            out.append((name, "enqueued"))
    return out


def baseline_candidate(name: str) -> Candidate:
    """A registered variant with the default recipe (the papers': SGD Nesterov, lr 0.1...)."""

    get_entry(name)  # a ConfigError for an unknown name
    train = {k: v for k, v in asdict(DEFAULT_RECIPE).items() if k not in ("epochs", "seed")}
    return Candidate({"name": name}, train)

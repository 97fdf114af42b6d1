"""Optuna trial -> candidate: drawing a model spec and a training recipe from a space, each
dimension under its stable Optuna parameter name (`dse.search.params`)."""

from __future__ import annotations

from typing import Any

import optuna

from dse.records import Candidate
from dse.search.dims import Choice, Dim, FloatRange, IntRange, LogRange
from dse.search.params import decode, encode
from dse.search.space import SearchSpace
from dse.train.recipe import DEFAULT_RECIPE


def _suggest(trial: optuna.Trial, name: str, dim: Dim) -> Any:
    if isinstance(dim, Choice):
        encoded = [encode(c) for c in dim.choices]
        return decode(trial.suggest_categorical(name, encoded))
    if isinstance(dim, IntRange):
        return trial.suggest_int(name, dim.int[0], dim.int[1], step=dim.step)
    if isinstance(dim, FloatRange):
        return trial.suggest_float(name, *dim.float)
    if isinstance(dim, LogRange):
        return trial.suggest_float(name, *dim.log, log=True)
    return dim


def sample_model(space: SearchSpace, trial: optuna.Trial) -> dict:
    """Draw the model part of a candidate: a spec for dse.models.create."""
    m = space.model
    if m.name is not None:
        return {"name": _suggest(trial, "model", m.name)}
    model = {"name": m.family}
    for key, dim in m.dims.items():
        if isinstance(dim, list):  # element by element: blocks1, blocks2, ...
            value = [_suggest(trial, f"{key}{i + 1}", d) for i, d in enumerate(dim)]
        else:
            value = _suggest(trial, key, dim)
        if value is not None:
            model[key] = value
    return model


def sample(space: SearchSpace, trial: optuna.Trial) -> Candidate:
    """Draw one candidate: a model spec for dse.models.create and a recipe."""
    model = sample_model(space, trial)
    t = space.training
    opt = _branch(trial, "optimizer", t.optimizer)
    sched = _branch(trial, "schedule", t.schedule)
    params = opt[1]
    train = {"optimizer": opt[0], "lr": params.pop("lr", DEFAULT_RECIPE.lr),
             "optimizer_kwargs": params,
             "schedule": sched[0], "schedule_kwargs": sched[1]}
    for key in t.recipe_keys():
        train[key] = _suggest(trial, key, getattr(t, key))
    return Candidate(model, train)


def _branch(trial: optuna.Trial, what: str, options: dict) -> tuple[str, dict]:
    name = (next(iter(options)) if len(options) == 1
            else trial.suggest_categorical(what, list(options)))
    return name, {k: _suggest(trial, f"{name}.{k}", d) for k, d in options[name].items()}

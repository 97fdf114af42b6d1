"""Search spaces: the YAML schema (pydantic), validation errors, and sampling with Optuna.

A dimension is written the same way everywhere: a fixed value (`0.9`, `relu`,
`[2, 4, 12, 1]`), `{choices: [...]}`, `{int: [lo, hi]}` (optional `step`),
`{float: [lo, hi]}` or `{log: [lo, hi]}` (log-uniform).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import optuna
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dse.errors import ConfigError
from dse.models.blocks import ACTIVATIONS
from dse.models.registry import list_models
from dse.objectives import ARCH_METRICS, OBJECTIVES  # noqa: F401 (re-exported)
from dse.train.optim import OPTIMIZERS, SCHEDULES

REPO_SPACES = Path(__file__).resolve().parents[2] / "search_spaces"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(_Strict):
    """A categorical dimension."""

    choices: list[Any] = Field(min_length=1)


class IntRange(_Strict):
    """An integer range, bounds included."""

    int: tuple[int, int]
    step: int = 1

    @model_validator(mode="after")
    def _order(self):
        if self.int[0] > self.int[1] or self.step < 1:
            raise ValueError(f"int range needs lo <= hi and step >= 1, got {list(self.int)}")
        return self


class FloatRange(_Strict):
    """A uniform float range."""

    float: tuple[float, float]

    @model_validator(mode="after")
    def _order(self):
        if self.float[0] > self.float[1]:
            raise ValueError(f"float range needs lo <= hi, got {list(self.float)}")
        return self


class LogRange(_Strict):
    """A log-uniform float range (lo > 0)."""

    log: tuple[float, float]

    @model_validator(mode="after")
    def _order(self):
        if not 0 < self.log[0] <= self.log[1]:
            raise ValueError(f"log range needs 0 < lo <= hi, got {list(self.log)}")
        return self


Range = Choice | IntRange | FloatRange | LogRange
Dim = Range | bool | int | float | str | list | None


def _parse_dim(value: Any) -> Dim:
    if isinstance(value, dict):
        keys = set(value) - {"step"}
        cls = {"choices": Choice, "int": IntRange, "float": FloatRange, "log": LogRange}
        if len(keys) != 1 or next(iter(keys)) not in cls:
            raise ValueError(f"a range is one of {{choices: [...]}}, {{int: [lo, hi]}}, "
                             f"{{float: [lo, hi]}}, {{log: [lo, hi]}}; got {value}")
        return cls[next(iter(keys))].model_validate(value)
    return value


def _check_values(dim: Dim, allowed: list, what: str) -> None:
    values = dim.choices if isinstance(dim, Choice) else [dim]
    if isinstance(dim, IntRange | FloatRange | LogRange):
        raise ValueError(f"{what} takes fixed values or choices, not a range")
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ValueError(f"{what} {bad} not allowed; allowed: {allowed}")


class ModelSpace(_Strict):
    """The architecture dimensions."""

    name: Any = None  # registered model names (fixed or choices); excludes family
    family: Literal["hps", "sqnxt"] | None = None
    stages: Any = None  # whole stage configurations, e.g. {choices: [[1,1,1,1], [2,4,12,1]]}
    blocks: list[Any] | None = None  # one dimension per stage
    width: Any = None
    resolution: Any = None
    activation: Any = None
    dropout: Any = None

    _dims = field_validator("name", "stages", "width", "resolution", "activation", "dropout",
                            mode="before")(classmethod(lambda cls, v: _parse_dim(v)))

    @field_validator("blocks", mode="before")
    @classmethod
    def _blocks(cls, v):
        if v is None:
            return v
        if not isinstance(v, list) or len(v) != 4:
            raise ValueError("blocks needs one dimension per stage (four)")
        return [_parse_dim(d) for d in v]

    @model_validator(mode="after")
    def _shape(self):
        if (self.name is None) == (self.family is None):
            raise ValueError("give either model.name (registered models) or model.family")
        if self.name is not None:
            _check_values(self.name, list_models(), "model.name")
            return self
        if (self.stages is None) == (self.blocks is None):
            raise ValueError("give either model.stages (whole configurations) or model.blocks")
        if self.activation is not None:
            _check_values(self.activation, list(ACTIVATIONS), "model.activation")
        stages = self.stages.choices if isinstance(self.stages, Choice) else [self.stages]
        if self.stages is not None and not all(
                isinstance(s, list) and len(s) == 4 and all(isinstance(b, int) and b >= 1
                                                             for b in s) for s in stages):
            raise ValueError(f"model.stages must be lists of four block counts >= 1: {stages}")
        return self


class TrainingSpace(_Strict):
    """The recipe dimensions; optimizer and schedule map each choice to its own parameters."""

    optimizer: dict[str, dict[str, Any]] = {"sgd": {"lr": 0.1, "momentum": 0.9,
                                                    "nesterov": True}}
    schedule: dict[str, dict[str, Any]] = {"cosine": {}}
    batch_size: Any = 128
    weight_decay: Any = 5e-4
    label_smoothing: Any = 0.0
    augment: Any = True
    warmup_epochs: Any = 0.0

    _dims = field_validator("batch_size", "weight_decay", "label_smoothing", "augment",
                            "warmup_epochs", mode="before")(
        classmethod(lambda cls, v: _parse_dim(v)))

    @field_validator("optimizer", "schedule", mode="before")
    @classmethod
    def _branches(cls, v, info):
        if isinstance(v, str):
            v = {v: {}}
        if not isinstance(v, dict) or not v:
            raise ValueError("a name, or a mapping of names to their parameters")
        known = list(OPTIMIZERS) if info.field_name == "optimizer" else list(SCHEDULES)
        out = {}
        for name, params in v.items():
            if name not in known:
                raise ValueError(f"{name!r} is not one of {known}")
            out[name] = {k: _parse_dim(d) for k, d in (params or {}).items()}
            if info.field_name == "optimizer":
                import inspect

                takes = set(inspect.signature(OPTIMIZERS[name].__init__).parameters)
                bad = sorted(set(out[name]) - takes - {"lr"})
                if bad:
                    raise ValueError(f"optimizer {name!r} does not take {bad}; it takes "
                                     f"{sorted(takes - {'self', 'params', 'kwargs'})}")
        return out


class Fidelity(_Strict):
    """How much training one candidate gets."""

    epochs: int = Field(ge=1)
    train_images: int | None = Field(default=None, ge=10)  # None -> the whole training split
    val_size: int = Field(default=5000, ge=10)  # carved from the training set
    val_images: int | None = Field(default=None, ge=10)  # evaluated subset of val
    repeats: int = Field(default=1, ge=1)  # seeds per candidate; mean and std are stored
    min_epochs: int | None = Field(default=None, ge=1)  # successive halving's first rung
    eta: int = Field(default=3, ge=2)  # successive halving's reduction factor
    latency_repeats: int = Field(default=30, ge=1)

    def rungs(self) -> list[int]:
        """Epochs at which successive halving compares candidates (empty: no halving)."""
        if not self.min_epochs:
            return []
        out, e = [], self.min_epochs
        while e < self.epochs:
            out.append(e)
            e *= self.eta
        return out


class SearchSpace(_Strict):
    """A whole search space file."""

    name: str
    description: str = ""
    study: str
    dataset: Literal["cifar10", "cifar100"] = "cifar10"
    objectives: list[str] = ["accuracy", "size_mb", "epoch_time_s"]
    constraints: list[str] = []
    sampler: Literal["nsga2", "tpe", "gp", "random", "grid"] = "nsga2"
    population_size: int = Field(default=20, ge=2)
    model: ModelSpace
    training: TrainingSpace = TrainingSpace()
    fidelities: dict[str, Fidelity]
    default_fidelity: str = "proxy"

    @field_validator("objectives")
    @classmethod
    def _objectives(cls, v):
        bad = [o for o in v if o not in OBJECTIVES]
        if bad or not 2 <= len(v) <= 3 or len(set(v)) != len(v):
            raise ValueError(f"two or three distinct objectives from {list(OBJECTIVES)}; got {v}")
        return v

    @field_validator("constraints")
    @classmethod
    def _constraints(cls, v):
        for c in v:
            parse_constraint(c)
        return v

    @model_validator(mode="after")
    def _fidelity(self):
        if self.default_fidelity not in self.fidelities:
            raise ValueError(f"default_fidelity {self.default_fidelity!r} is not one of "
                             f"{list(self.fidelities)}")
        if self.sampler == "grid":
            grid_space(self)
        return self

    @property
    def directions(self) -> list[str]:
        """Optuna directions of the objectives, in order."""
        return [OBJECTIVES[o] for o in self.objectives]


def parse_constraint(text: str) -> tuple[str, str, float]:
    """'size_mb <= 1.0' -> ('size_mb', '<=', 1.0)."""
    parts = text.split()
    if len(parts) != 3 or parts[0] not in OBJECTIVES or parts[1] not in ("<=", ">="):
        raise ValueError(f"constraint {text!r} must read '<metric> <= <number>' or '>=' with a "
                         f"metric from {list(OBJECTIVES)}")
    try:
        return parts[0], parts[1], float(parts[2])
    except ValueError:
        raise ValueError(f"constraint {text!r}: {parts[2]!r} is not a number") from None


def violations(constraints: list[str], values: dict, only: tuple[str, ...] | None = None
               ) -> list[str]:
    """The constraints that `values` break (restricted to metrics in `only`)."""
    out = []
    for c in constraints:
        metric, op, bound = parse_constraint(c)
        if (only is None or metric in only) and metric in values:
            v = values[metric]
            if (op == "<=" and v > bound) or (op == ">=" and v < bound):
                out.append(f"{metric}={v:.4g} violates {c}")
    return out


# --------------------------------------------------------------------------- loading

def resolve_space_path(name_or_path: str) -> Path:
    """A path to a YAML file, or a shipped space name (search_spaces/NAME.yaml)."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise ConfigError(f"search space file {p} does not exist or is not a file.")
        return p
    for folder in (Path("search_spaces"), REPO_SPACES):
        cand = folder / f"{name_or_path}.yaml"
        if cand.is_file():
            return cand
    raise ConfigError(f"unknown search space {name_or_path!r}; shipped spaces: "
                      f"{', '.join(shipped_spaces())}, or give a path to a YAML file.")


def shipped_spaces() -> list[str]:
    """Names of the spaces in search_spaces/."""
    return sorted(p.stem for p in REPO_SPACES.glob("*.yaml"))


def load_space(name_or_path: str) -> SearchSpace:
    """Read and validate a space; errors name the file, the key path and what is allowed."""
    path = resolve_space_path(name_or_path)
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path} is not valid YAML{where}: {problem}. Fix the syntax (quote "
                          f"strings with ':' or '#', close brackets).") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must hold a mapping (name, study, model, ...), got "
                          f"{type(raw).__name__}.")
    try:
        return SearchSpace.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for e in exc.errors():
            loc = ".".join(str(x) for x in e["loc"] if not str(x).startswith(("function-",
                                                                                "tagged")))
            value = e.get("input")
            shown = f" (got {value!r})" if not isinstance(value, dict) else ""
            lines.append(f"{loc or '<top>'}: {e['msg']}{shown}")
        raise ConfigError(f"{path} is not a valid search space: " + "; ".join(lines)) from None


# --------------------------------------------------------------------------- sampling

def _suggest(trial: optuna.Trial, name: str, dim: Dim) -> Any:
    if isinstance(dim, Choice):
        encoded = [_encode(c) for c in dim.choices]
        return _decode(trial.suggest_categorical(name, encoded))
    if isinstance(dim, IntRange):
        return trial.suggest_int(name, dim.int[0], dim.int[1], step=dim.step)
    if isinstance(dim, FloatRange):
        return trial.suggest_float(name, *dim.float)
    if isinstance(dim, LogRange):
        return trial.suggest_float(name, *dim.log, log=True)
    return dim


def _encode(v: Any):
    return "-".join(str(x) for x in v) if isinstance(v, list) else v


def _decode(v: Any):
    if isinstance(v, str) and "-" in v and all(p.isdigit() for p in v.split("-")):
        return [int(p) for p in v.split("-")]
    return v


def sample(space: SearchSpace, trial: optuna.Trial) -> dict:
    """Draw one candidate: {"model": spec for dse.models.create, "train": TrainConfig kwargs}."""
    m = space.model
    if m.name is not None:
        model = {"name": _suggest(trial, "model", m.name)}
    else:
        if m.stages is not None:
            blocks = _suggest(trial, "stages", m.stages)
        else:
            blocks = [_suggest(trial, f"blocks{i + 1}", d) for i, d in enumerate(m.blocks)]
        model = {"name": m.family, "blocks": list(blocks)}
        for key in ("width", "resolution", "activation", "dropout"):
            value = _suggest(trial, key, getattr(m, key))
            if value is not None:
                model[key] = value
    t = space.training
    opt = _branch(trial, "optimizer", t.optimizer)
    sched = _branch(trial, "schedule", t.schedule)
    params = opt[1]
    train = {"optimizer": opt[0], "lr": params.pop("lr", 0.1), "optimizer_kwargs": params,
             "schedule": sched[0], "schedule_kwargs": sched[1]}
    for key in ("batch_size", "weight_decay", "label_smoothing", "augment", "warmup_epochs"):
        train[key] = _suggest(trial, key, getattr(t, key))
    return {"model": model, "train": train}


def _branch(trial: optuna.Trial, what: str, options: dict) -> tuple[str, dict]:
    name = (next(iter(options)) if len(options) == 1
            else trial.suggest_categorical(what, list(options)))
    return name, {k: _suggest(trial, f"{name}.{k}", d) for k, d in options[name].items()}


def _all_dims(space: SearchSpace) -> dict[str, Dim]:
    """Every dimension with its Optuna parameter name (conditional ones included)."""
    m, t, dims = space.model, space.training, {}
    if m.name is not None:
        dims["model"] = m.name
    else:
        if m.stages is not None:
            dims["stages"] = m.stages
        else:
            dims.update({f"blocks{i + 1}": d for i, d in enumerate(m.blocks)})
        dims.update({k: getattr(m, k) for k in ("width", "resolution", "activation", "dropout")})
    for what in ("optimizer", "schedule"):
        options = getattr(t, what)
        if len(options) > 1:
            dims[what] = Choice(choices=list(options))
        for name, params in options.items():
            dims.update({f"{name}.{k}": d for k, d in params.items()})
    dims.update({k: getattr(t, k) for k in ("batch_size", "weight_decay", "label_smoothing",
                                             "augment", "warmup_epochs")})
    return dims


def grid_space(space: SearchSpace) -> dict[str, list]:
    """Optuna GridSampler's search space; only categorical, unconditional dimensions allowed."""
    grid = {}
    for name, dim in _all_dims(space).items():
        if isinstance(dim, IntRange):
            dim = Choice(choices=list(range(dim.int[0], dim.int[1] + 1, dim.step)))
        if isinstance(dim, FloatRange | LogRange):
            raise ValueError(f"the grid sampler needs choices, but {name} is a float range")
        if isinstance(dim, Choice):
            if "." in name and len(dim.choices) > 1:
                raise ValueError(f"the grid sampler cannot vary {name}, which depends on another "
                                 f"choice; fix it or use another sampler")
            grid[name] = [_encode(c) for c in dim.choices]
    return grid


def cardinality(space: SearchSpace) -> float:
    """Number of distinct candidates (math.inf with any float range)."""
    total = 1.0
    for dim in _all_dims(space).values():
        if isinstance(dim, Choice):
            total *= len(dim.choices)
        elif isinstance(dim, IntRange):
            total *= (dim.int[1] - dim.int[0]) // dim.step + 1
        elif isinstance(dim, FloatRange | LogRange):
            return math.inf
    return total


def describe(space: SearchSpace) -> list[tuple[str, str]]:
    """(parameter, human-readable range) for every dimension."""
    rows = []
    for name, dim in _all_dims(space).items():
        if isinstance(dim, Choice):
            text = "one of " + ", ".join(str(c) for c in dim.choices)
        elif isinstance(dim, IntRange):
            text = f"int {dim.int[0]}..{dim.int[1]}" + (f" step {dim.step}" if dim.step > 1
                                                        else "")
        elif isinstance(dim, FloatRange):
            text = f"float {dim.float[0]}..{dim.float[1]}"
        elif isinstance(dim, LogRange):
            text = f"log-uniform {dim.log[0]:g}..{dim.log[1]:g}"
        else:
            text = f"fixed {dim}"
        rows.append((name, text))
    return rows


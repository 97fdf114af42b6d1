"""Search spaces: the YAML schema (pydantic), loading, and validation errors.

How one dimension is written and checked is `dse.search.dims`; drawing candidates from a
validated space is `dse.search.candidate`'s job.
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    Field,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from dse import metrics
from dse.constraints import Constraint, parse_all
from dse.data.registry import is_builtin, parse_spec
from dse.errors import ConfigError, DataError
from dse.models import SqueezeNextConfig, get_entry, get_family, list_models
from dse.paths import NAME
from dse.search.dims import (  # noqa: F401  (re-exported: the dimension types)
    RECIPE_KEYS,
    Choice,
    Dim,
    FloatRange,
    IntRange,
    LogRange,
    Range,
    _first_error,
    _Strict,
    check_dimensions,
    check_values,
    keyed,
    parse_dim,
    shorten,
    values,
)
from dse.search.fidelity import Fidelity
from dse.search.model_space import ModelSpace
from dse.search.params import grid_space
from dse.search.recipe_space import TrainingSpace
from dse.search.samplers import SAMPLERS
from dse.search.yaml_file import (  # noqa: F401  (re-exported)
    read_space_mapping,
    resolve_space_path,
    shipped_spaces,
    validation_text,
)


class SearchSpace(_Strict):
    """A whole search space file."""

    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    study: str = Field(max_length=200)
    dataset: str = Field(default="cifar10", max_length=1000)  # a data-set SPEC; `data:` in a file
    objectives: list[str] = ["accuracy", "size_mb", "epoch_time_s"]
    constraints: list[Constraint] = []
    sampler: str = "nsga2"  # a name, or {name: {options}} in the file
    sampler_options: dict[str, Any] = {}
    population_size: int | None = Field(default=None, ge=2, le=10_000)  # = nsga2's option
    baselines: list[str] = Field(default=[], max_length=50)  # registered variants, see
    model: ModelSpace                                         # dse.search.baselines
    training: TrainingSpace = TrainingSpace()
    fidelities: dict[str, Fidelity]
    default_fidelity: str = "proxy"
    # The calibrations of these fidelities, by name (one, or a list searched in order):
    # calibrations/NAME/ here, else dse's committed results/calibration/NAME/ [default: the
    # study name]; `dse space show`.
    calibration: str | list[str] | None = Field(default=None, max_length=100)

    @field_validator("study", "calibration")
    @classmethod
    def _study(cls, v):
        for name in [v] if isinstance(v, str) else v or []:
            if not NAME.fullmatch(name) or ".." in name:
                raise ValueError("1-100 letters, digits, '.', '_' or '-', starting with a "
                                 "letter or digit (it names a folder: studies/, reports/, "
                                 "calibrations/)")
        return v

    def calibrations(self) -> list[str]:
        """The calibration folders' names where this space's fidelities are calibrated."""
        if self.calibration is None:
            return [self.study]
        return [self.calibration] if isinstance(self.calibration, str) else self.calibration

    @field_validator("baselines")
    @classmethod
    def _baselines(cls, v):

        unknown = [b for b in v if b not in list_models()]
        if unknown:
            raise ValueError(f"registered model names (`dse models`); unknown: {shorten(unknown)}")
        return v

    @model_validator(mode="before")
    @classmethod
    def _data_key(cls, v):
        if isinstance(v, dict) and "data" in v:
            if "dataset" in v:
                raise ValueError("give the data set once: data: SPEC")
            v = {**v, "dataset": v["data"]}
            v.pop("data")
        return v

    @field_validator("dataset")
    @classmethod
    def _data_spec(cls, v: str) -> str:
        try:
            parse_spec(v)
        except DataError as exc:
            raise ValueError(str(exc)) from None
        return v

    @model_validator(mode="after")
    def _baselines_fit_the_dataset(self):
        if not is_builtin(self.dataset):  # the papers' architectures, trained on your data
            return self
        other = [b for b in self.baselines if self.dataset not in get_entry(b).datasets]
        if other:
            raise ValueError(f"baselines: {shorten(other)} are the papers' models for another "
                             f"data set than {self.dataset}; `dse models` lists each "
                             f"model's data sets")
        return self

    @field_validator("objectives")
    @classmethod
    def _objectives(cls, v):
        bad = [o for o in v if o not in metrics.study_names()]
        if bad or not 2 <= len(v) <= 4 or len(set(v)) != len(v):
            raise ValueError(f"two to four distinct objectives from {metrics.study_names()}; "
                             f"got {shorten(v)}")
        return v

    @field_validator("constraints", mode="before")
    @classmethod
    def _constraints(cls, v):
        if not isinstance(v, list):
            raise ValueError("a list of constraints like 'size_mb <= 1.0'")
        return [Constraint.parse(c) for c in v]

    @field_serializer("constraints")
    def _constraints_text(self, v: list[Constraint]) -> list[str]:
        return [str(c) for c in v]

    @model_validator(mode="before")
    @classmethod
    def _sampler_branch(cls, raw):
        """`sampler: {name: {options}}` -> sampler + sampler_options; the older top-level
        `population_size` is NSGA-II's option of that name."""
        if not isinstance(raw, dict):
            return raw
        raw = dict(raw)
        v = raw.get("sampler", "nsga2")
        if isinstance(v, dict):
            if len(v) != 1:
                raise keyed([f"sampler: one name, or {{name: {{options}}}}; samplers: "
                              f"{', '.join(SAMPLERS.names())}"])
            (v, options), = v.items()
            raw["sampler"], raw["sampler_options"] = v, options or {}
        if raw.get("population_size") is not None and str(raw.get("sampler")) == "nsga2":
            raw["sampler_options"] = {"population_size": raw["population_size"],
                                      **dict(raw.get("sampler_options") or {})}
        return raw

    @model_validator(mode="after")
    def _sampler(self):
        try:
            entry = SAMPLERS.get(self.sampler)
            entry.options(self.sampler_options)
        except ValueError as exc:
            raise keyed([f"sampler: {exc}"]) from None
        return self

    @model_validator(mode="after")
    def _fidelity(self):
        if self.default_fidelity not in self.fidelities:
            raise ValueError(f"default_fidelity {shorten(self.default_fidelity)} is not one of "
                             f"{list(self.fidelities)}")
        if self.sampler == "grid":
            grid_space(self)  # raises if the grid cannot hold the space
        oneshot = [n for n, f in self.fidelities.items() if f.oneshot is not None]
        family = get_family(self.model.family).config if self.model.family else None
        if oneshot and not (family and issubclass(family, SqueezeNextConfig)):
            raise ValueError(f"fidelity {oneshot[0]} is oneshot: its candidates come from a "
                             f"supernet, which holds the SqueezeNext families (hps, sqnxt); "
                             f"give model.family hps or sqnxt, not "
                             f"{self.model.family or 'registered models'}")
        return self

    def with_constraints(self, texts: list[str] | None) -> SearchSpace:
        """This space with extra constraints (`--constraint` texts) added; a bad one is a
        ConfigError naming it."""
        if not texts:
            return self
        try:
            extra = parse_all(texts)
        except ConfigError as exc:
            raise ConfigError(f"--constraint: {exc}") from None
        return self.model_copy(update={"constraints": [*self.constraints, *extra]})

    @property
    def directions(self) -> list[str]:
        """Optuna directions of the objectives, in order."""
        return metrics.directions(self.objectives)


# --------------------------------------------------------------------------- loading

def load_space(name_or_path: str) -> SearchSpace:
    """Read and validate a space; errors name the file, the key path and what is allowed.

    Bounded: at most 1 MB of UTF-8 text and 100,000 values after YAML aliases expand.
    """
    path = resolve_space_path(name_or_path)
    raw = read_space_mapping(path)
    try:
        return SearchSpace.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path} is not a valid search space: "
                          + validation_text(exc)) from None

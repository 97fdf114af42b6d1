"""Reading a user's YAML file safely: bounded size and expansion, UTF-8, one-paragraph
errors naming the file, the line and the key path; finding a space file by name or path,
and the base it `extends`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dse.errors import ConfigError
from dse.search.dims import shorten

REPO_SPACES = Path(__file__).resolve().parents[2] / "search_spaces"
MAX_BYTES = 1_000_000
MAX_YAML_NODES = 100_000


def read_yaml_mapping(path: Path, what: str, keys: str) -> dict:
    """The mapping a YAML file holds (`what` and `keys` word the errors)."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read ({exc.strerror}); check "
                          f"its permissions.") from None
    if len(data) > MAX_BYTES:
        raise ConfigError(f"{path} is larger than {MAX_BYTES:,} bytes; {what} is a "
                          f"short YAML file. Is it the right file?")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8 "
                          f"YAML.") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path} is not valid YAML{where}: {str(problem)[:200]}. Fix the "
                          f"syntax (quote strings with ':' or '#', close brackets).") from None
    if _too_big(raw):
        raise ConfigError(f"{path} expands to more than {MAX_YAML_NODES:,} values (YAML "
                          f"aliases?); write it out plainly.")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must hold a mapping ({keys}), got "
                          f"{type(raw).__name__}.")
    return raw


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


MAX_EXTENDS = 8


def read_space_mapping(path: Path, chain: tuple[Path, ...] = ()) -> dict:
    """A space file's mapping, after `extends: BASE` (a shipped space's name, or a YAML path
    relative to this file): the base's keys, each key this file gives replacing the base's
    whole."""
    raw = read_yaml_mapping(path, "a search space", "name, study, model, ...")
    if "extends" not in raw:
        return raw
    base = raw.pop("extends")
    if not isinstance(base, str) or not base.strip():
        raise ConfigError(f"{path}: extends must name a shipped space or a YAML file, got "
                          f"{shorten(base)}.")
    near = path.parent / base
    base_path = resolve_space_path(str(near) if near.suffix in (".yaml", ".yml") else base)
    chain = (*chain, path.resolve())
    if base_path.resolve() in chain or len(chain) > MAX_EXTENDS:
        raise ConfigError(f"{path}: extends {shorten(base)} goes round in a circle or deeper "
                          f"than {MAX_EXTENDS} files; let one file extend a space that does "
                          f"not extend it back.")
    merged = read_space_mapping(base_path, chain)
    if {"data", "dataset"} & raw.keys():  # one key under two names: this file's replaces
        merged.pop("data", None)
        merged.pop("dataset", None)
    return {**merged, **raw}


def validation_text(exc: ValidationError) -> str:
    """pydantic's errors as 'key.path: message (got value)', values cut short."""
    lines = []
    for e in exc.errors()[:10]:
        if e["type"] == "dse_keyed":  # the message names its own key paths
            lines.append(e["msg"])
            continue
        loc = ".".join(str(x) for x in e["loc"] if not str(x).startswith(("function-",
                                                                            "tagged")))
        value, msg = e.get("input"), e["msg"].removeprefix("Value error, ")
        said = isinstance(value, dict) or "got " in msg  # the message shows the value itself
        shown = "" if said else f" (got {shorten(value)})"
        lines.append(f"{loc or '<top>'}: {msg}{shown}")
    return "; ".join(lines)


def _too_big(obj: Any) -> bool:
    """Whether walking `obj` (aliases expanded) visits more than MAX_YAML_NODES values."""
    budget, stack = MAX_YAML_NODES, [obj]
    while stack:
        x = stack.pop()
        budget -= 1
        if budget < 0:
            return True
        if isinstance(x, dict):
            stack.extend(x.keys())
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
    return False

"""Reading a user's YAML file safely: bounded size and expansion, UTF-8, one-paragraph
errors naming the file, the line and the key path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dse.errors import ConfigError
from dse.search.dims import shorten

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


def validation_text(exc: ValidationError) -> str:
    """pydantic's errors as 'key.path: message (got value)', values cut short."""
    lines = []
    for e in exc.errors()[:10]:
        if e["type"] == "dse_keyed":  # the message names its own key paths
            lines.append(e["msg"])
            continue
        loc = ".".join(str(x) for x in e["loc"] if not str(x).startswith(("function-",
                                                                            "tagged")))
        value = e.get("input")
        shown = f" (got {shorten(value)})" if not isinstance(value, dict) else ""
        lines.append(f"{loc or '<top>'}: {e['msg'].removeprefix('Value error, ')}{shown}")
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

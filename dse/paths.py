"""Study names and the output paths made from them: never a path outside its root; and
recorded files found again after their folder moved."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from dse.errors import ConfigError

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def check_study_name(name: str) -> str:
    """The name if it is safe as a folder name: letters, digits, '.', '_', '-', at most 100
    characters, starting with a letter or digit; a ConfigError otherwise."""
    if not isinstance(name, str) or not NAME.fullmatch(name) or ".." in name:
        raise ConfigError(f"study name {str(name)[:60]!r} is not allowed: use 1-100 letters, "
                          f"digits, '.', '_' or '-', starting with a letter or digit (it "
                          f"names folders under studies/ and reports/).")
    return name


def inside(root: str | Path, *parts: str) -> Path:
    """root/parts..., checked to stay inside root after resolving '..' and links."""
    root_r = Path(root).resolve()
    path = root_r.joinpath(*parts).resolve()
    if path != root_r and root_r not in path.parents:
        raise ConfigError(f"{Path(*parts)} would lead outside {root}; use a plain study name.")
    return path


def study_folder(root: str | Path, study: str) -> Path:
    """The folder of a study under `root` (studies/ or reports/), its name checked."""
    return inside(root, check_study_name(study))


def output_folder(path: str | Path) -> Path:
    """Create (if needed) and return an output folder; a ConfigError if a file is in the way."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--out {path} is a file, not a folder; give a folder for the pages.")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the folder {path} ({exc.strerror}); check the path "
                          f"and its permissions.") from None
    return path


def locate(recorded: str | Path, roots: Iterable[str | Path], keep: int = 3) -> Path | None:
    """Where a recorded file is now: `recorded` if it is a file, else the longest tail of
    it (at least `keep` parts, no '..') that is a file under one of `roots`, else None.
    Stores record absolute paths; this finds a checkpoint again in a clone or a moved
    folder (/old/repo/results/s/studies/x/confirm/run/checkpoint.pt under ./ or under the
    store's folder)."""
    path = Path(recorded)
    if path.is_file():
        return path
    parts = path.parts[1:] if path.is_absolute() else path.parts
    if ".." in parts:
        return None
    roots = [Path(r) for r in roots]
    for k in range(len(parts) - keep + 1):  # the longest tail first
        for root in roots:
            candidate = root.joinpath(*parts[k:])
            if candidate.is_file():
                return candidate
    return None

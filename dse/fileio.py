"""Atomic writes: a temporary file beside the target, then a rename."""

from __future__ import annotations

import os
from pathlib import Path


def atomic_write_bytes(data: bytes, path: str | Path) -> Path:
    """Write bytes to `path` through a temporary file (unique to this process) and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def atomic_write_text(text: str, path: str | Path) -> Path:
    """Write text to `path` through a temporary file and a rename."""
    return atomic_write_bytes(text.encode(), path)

"""User-facing errors: each carries one paragraph saying what is wrong and how to fix it."""

from __future__ import annotations


class DseError(Exception):
    """An error caused by input the user can fix; the CLI prints it without a traceback."""

    exit_code = 1


class DataError(DseError):
    """Missing, truncated or corrupt data files."""


class ConfigError(DseError):
    """An invalid search space, option value or model name."""

    exit_code = 2


class CheckpointError(DseError):
    """A checkpoint that cannot be read or does not fit the model."""


class StoreError(DseError):
    """An unreachable or unusable study store."""

"""User-facing errors: each carries one paragraph saying what is wrong and how to fix it."""

from __future__ import annotations


class DseError(Exception):
    """An error caused by input the user can fix; the CLI prints it without a traceback and
    exits with 2 (bad or hostile input, missing data, an unusable store)."""

    exit_code = 2


class DataError(DseError):
    """Missing, truncated or corrupt data files."""


class ConfigError(DseError):
    """An invalid search space, option value or model name."""

    exit_code = 2


class CheckpointError(DseError):
    """A checkpoint that cannot be read or does not fit the model."""


class TrainingError(DseError):
    """A training run that cannot go on (its loss diverged): the run failed, exit 1."""

    exit_code = 1


class StoreError(DseError):
    """An unreachable or unusable study store."""


class Terminated(KeyboardInterrupt):
    """SIGTERM received: unwinds like Ctrl-C, so the running trial records why it ended."""


class Interrupted(DseError):
    """Ctrl-C (exit 130) or SIGTERM (exit 143) ended a long command; work is saved."""

    def __init__(self, cause: BaseException):
        self.terminated = isinstance(cause, Terminated)
        self.exit_code = 143 if self.terminated else 130
        what = "terminated (SIGTERM)" if self.terminated else "interrupted (Ctrl-C)"
        super().__init__(f"{what}: the running trial or epoch is recorded as failed with this "
                         f"reason; finished work is saved; run the same command again to "
                         f"continue.")


class DseWarning(UserWarning):
    """Something the user should know that does not stop the work; the CLI prints it as one
    'warning:' line (once per message and process)."""

"""The `dse` command line. Each module holds one group of commands and registers it on the
shared app: data.py (data check), models.py (zoo, train, evaluate), space.py (space
validate, show), study.py (run), results.py (studies, show, pareto, report), fidelity.py
(fidelity check), confirm.py, compare.py, deploy.py (export, latency, deploy run), latency_model.py
(latency-model)."""

from __future__ import annotations

import importlib
import signal
import sys
import warnings

from rich.text import Text

from dse import interrupts
from dse.cli.common import app, err
from dse.errors import DseError, DseWarning, Interrupted, Terminated

# registers the commands, in the order of the journey
for _group in ("data", "models", "space", "supernet", "study", "results", "fidelity",
               "confirm", "compare", "deploy", "latency_model", "auto"):
    importlib.import_module(f"dse.cli.{_group}")


def _plain_warnings() -> None:
    """dse's own warnings as one 'warning:' line each, once per message."""
    shown = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, DseWarning):
            err.print(Text("warning:", style="yellow"), str(message), soft_wrap=True)
        else:
            shown(message, category, filename, lineno, file, line)
    warnings.showwarning = show


def main() -> None:
    """Entry point: run the app, turning user errors into one paragraph and an exit code."""
    # lazy: plugins import dse's registries (torch); importing dse.cli must not
    from dse.plugins import load_plugins

    interrupts.install()
    _plain_warnings()
    try:
        load_plugins()
        app()
    except Interrupted as exc:
        err.print(Text(str(exc), style="yellow"), soft_wrap=True)
        sys.exit(exc.exit_code)
    except DseError as exc:
        err.print(Text("error:", style="bold red"), str(exc), soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:  # outside a long command
        sys.exit(143 if isinstance(exc, Terminated) else 130)
    except SystemExit as exc:  # typer turns any KeyboardInterrupt into exit 130
        if exc.code == 130 and interrupts.received() == signal.SIGTERM:
            sys.exit(143)
        raise

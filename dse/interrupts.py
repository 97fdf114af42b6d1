"""Ctrl-C and SIGTERM: raised in the main thread as exceptions, and remembered.

Python runs a signal handler between two bytecodes of the main thread. When those belong
to a weakref callback or a `__del__` (garbage collection can run them anywhere), the
exception the handler raises is printed as "Exception ignored in ..." and dropped, and the
command would go on as if nothing had happened. The signal is therefore also remembered
here: long loops call `check()` at safe points (every training batch, every report
regeneration), so a dropped signal still stops them there.
"""

from __future__ import annotations

import signal
import sys

from dse.errors import Terminated

_received: int | None = None


def _handler(signum: int, frame) -> None:
    global _received
    _received = signum
    raise Terminated("SIGTERM") if signum == signal.SIGTERM else KeyboardInterrupt


def install() -> None:
    """Route SIGTERM and SIGINT through the handler (main thread only).

    A shell starts background jobs with SIGINT ignored and Python keeps ignoring it; this
    takes it back, so `kill -INT` stops a background `dse run` as Ctrl-C would."""
    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    if sys.unraisablehook is not _quiet_unraisable:
        _quiet_unraisable.default = sys.unraisablehook
        sys.unraisablehook = _quiet_unraisable


def _quiet_unraisable(info) -> None:
    """Drop the "Exception ignored in ..." traceback of a signal's exception: `check()`
    raises it again where it can be handled."""
    if not (isinstance(info.exc_value, KeyboardInterrupt) and _received is not None):
        _quiet_unraisable.default(info)


_quiet_unraisable.default = sys.__unraisablehook__


def received() -> int | None:
    """The last signal caught (SIGTERM or SIGINT), or None."""
    return _received


def check() -> None:
    """Raise again a caught signal whose exception may have been dropped."""
    if _received is not None:
        raise Terminated("SIGTERM") if _received == signal.SIGTERM else KeyboardInterrupt

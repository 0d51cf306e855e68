"""SIGINT and SIGTERM in a conformance run: both stop the run the same way, and a real interrupt is told apart
from a ``KeyboardInterrupt`` that scenario code raises itself.

CI cancels a job with SIGTERM first; Python's default action for it is to die at once, losing the report. With
``install()`` SIGTERM raises ``KeyboardInterrupt`` as SIGINT does, so pytest ends the session and the plugin
writes a partial report marked interrupted. Both handlers first note that an interrupt was requested:
``conformance.observe.run_scenario`` records a ``KeyboardInterrupt`` as the scenario's own exception only
when no signal asked for one.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

_STATE = {"requested": False, "signal": ""}


def interrupt_requested() -> bool:
    """Whether SIGINT or SIGTERM arrived since ``install`` (or the last ``reset``)."""
    return bool(_STATE["requested"])


def received_signal() -> str:
    """The name of the signal that interrupted the run ("" when none did)."""
    return str(_STATE["signal"])


def reset() -> None:
    _STATE.update(requested=False, signal="")


def _handle(signum: int, frame: Any) -> None:
    _STATE.update(requested=True, signal=signal.Signals(signum).name)
    raise KeyboardInterrupt(signal.Signals(signum).name)


def install() -> None:
    """Route SIGINT and SIGTERM to ``KeyboardInterrupt`` in the main thread, noting that a signal asked for it.

    A SIGTERM handler that is not the default one (someone chose what SIGTERM does) is left alone.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    reset()
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(signum)
        if signum == signal.SIGTERM and previous not in (signal.SIG_DFL, None):
            continue
        if signum == signal.SIGINT and previous not in (signal.default_int_handler,):
            continue  # ignored (SIG_IGN) or owned by someone else
        signal.signal(signum, _handle)

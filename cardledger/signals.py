"""How a long-running cardledger process stops: SIGTERM (`docker stop`,
Kubernetes) does what Ctrl-C does, raising KeyboardInterrupt in the main thread,
where each worker's loop ends and its `finally` closes what it holds.

The handlers are installed explicitly, never left to the default: a process
running as PID 1 (a container without an init) ignores every signal it has no
handler for (SIGINT too, if it started ignored), so `docker stop` would wait its 10 s and then SIGKILL it. An
interrupted batch loses nothing: its transaction rolls back, and the views'
and the relay's positions move only by compare-and-set after the work is done.
"""

from __future__ import annotations

import signal
from typing import Any


class StopRequested(KeyboardInterrupt):
    """SIGTERM: the process was asked to stop; a normal end (exit 0), where
    Ctrl-C on a command is an interruption (exit 130)."""


def _stop(signum: int, frame: Any) -> None:
    raise StopRequested


def interrupt_on_stop_signals() -> None:
    """SIGTERM raises StopRequested and SIGINT KeyboardInterrupt, in the main thread."""
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)

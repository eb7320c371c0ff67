"""What the long audit commands (verify, rebuild-projections, office-verify)
share: a progress bar with an ETA when a person is watching, and a Ctrl-C that
stops the work at its next safe point rather than in the middle of a statement.

The bar is drawn on stderr only when both stdout and stderr are terminals:
piped into a file or another program, the commands print their results and
nothing else.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

INTERRUPTED = 130  # the shell's code for a process ended by SIGINT


class Interrupted(Exception):  # noqa: N818 (it is what happened, not an error)
    """Ctrl-C was pressed; raised at the work's next safe point."""


class Watch:
    """Progress and interruption for one piece of work; ``advance`` is also the
    safe point where a Ctrl-C takes effect."""

    def __init__(self, requested: threading.Event, bar: Any = None, task: Any = None) -> None:
        self._requested = requested
        self._bar = bar
        self._task = task

    def check(self) -> None:
        if self._requested.is_set():
            raise Interrupted

    def advance(self, amount: int = 1) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, amount)
        self.check()

    def restart(self, description: str, total: int | None) -> None:
        """Count a new phase from zero (e.g. catching up, then checking)."""
        if self._bar is not None:
            self._bar.reset(self._task, total=total, description=description)
        self.check()


def watching_terminal() -> bool:
    return sys.stdout.isatty() and sys.stderr.isatty()


@contextmanager
def watched(description: str, total: int | None = None, *,
            show: bool | None = None) -> Iterator[Watch]:
    """The first Ctrl-C asks the work to stop at its next ``advance``/``check``;
    a second one interrupts at once."""
    requested = threading.Event()

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if requested.is_set():
            raise KeyboardInterrupt
        requested.set()

    previous: Callable[..., Any] | int | None = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        if show if show is not None else watching_terminal():
            with _bar() as bar:
                yield Watch(requested, bar, bar.add_task(description, total=total))
        else:
            yield Watch(requested)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


@contextmanager
def _bar() -> Iterator[Any]:
    from rich.console import Console  # noqa: PLC0415 (only when someone watches)
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        yield bar

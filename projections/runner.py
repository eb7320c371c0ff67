"""Keeps the views current by pulling the event store's notification log.

Pulling (rather than subscribing) works the same on SQLite, which has no
subscriptions, and on PostgreSQL, where the library's table lock makes
notification ids commit in order, so reading ``id > position`` never skips.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from eventsourcing.application import Application

from cardledger import logs
from projections.read_model import ReadModel, StalePosition

log = logging.getLogger("cardledger.projections")


class Projector:
    def __init__(self, app: Application[Any], read_model: ReadModel, *,
                 batch_size: int = 500, poll_interval: float = 0.05) -> None:
        self.app = app
        self.read_model = read_model
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one batch at a time per process

    def run_once(self) -> int:
        """Apply the next batch; the number of events applied (0 when current)."""
        with self._lock:
            position = self.read_model.position()
            logs.position.set(position)  # this thread's log lines say where the views are
            notifications = self.app.recorder.select_notifications(
                start=position, limit=self.batch_size, inclusive_of_start=False)
            if not notifications:
                return 0
            batch = [(self.app.mapper.to_domain_event(n), n.id) for n in notifications]
            try:
                self.read_model.apply(batch, expected=position, new=notifications[-1].id)
            except StalePosition:
                return 0  # another runner applied it; the next call starts from there
            return len(batch)

    def catch_up(self) -> int:
        total = 0
        while count := self.run_once():
            total += count
        return total

    def wait_for(self, position: int | None, timeout: float, *, help_out: bool = True) -> bool:
        """Block until the views include ``position``. With help_out the caller
        applies batches itself instead of waiting for the background thread."""
        if position is None:
            return True
        deadline = time.monotonic() + timeout
        while self.read_model.position() < position:
            if time.monotonic() > deadline:
                return False
            if not (help_out and self.run_once()):
                time.sleep(0.002)
        return True

    def notify(self) -> None:
        self._wake.set()

    # --- background thread -----------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="projector", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def run_forever(self) -> None:
        self._run()

    def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                applied = self.catch_up()
                failures = 0
            except Exception:
                failures += 1
                log.exception("projection batch failed (attempt %d); retrying", failures)
                applied = 0
                self._stopping.wait(min(5.0, 0.1 * 2**failures))
            if not applied:
                self._wake.wait(self.poll_interval)
                self._wake.clear()

"""Following the event log in order: one position table, one page reader, one loop.

Everything that follows the store's notification log — the projector (the
views), the Kafka relay — is built from these three parts:

- ``Positions``: each follower's position, a row of ``cl_tracking`` keyed by
  its name, moved only by compare-and-set, so two followers by mistake never
  move a position backwards or apply a batch twice.
- ``read_page``: the next events after a position. On PostgreSQL the library's
  table lock makes notification ids commit in order, so ``id > position``
  never skips one.
- ``Loop``: a step run over and over, idle-waiting (or woken early) when there
  is nothing to do, and backing off exponentially, jittered and capped, while
  it fails, so an outage costs retries, not a crash, and many processes don't
  retry in lockstep.

It lives under projections/ (the lowest layer that reads the log) so the
consumers above it use it too, instead of keeping copies.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from projections.database import Database, Transaction

# The event position the current thread's follower is working at. Set by each
# follower (the projector, the relay); the log format (cardledger/logs.py)
# stamps it on every line, so a line says where in the log it happened.
position: ContextVar[int | None] = ContextVar("log_position", default=None)

log = logging.getLogger("cardledger.follow")


def relay_position_name(relay: str) -> str:
    """A Kafka relay's row: namespaced, so no relay name can take the views' row
    (``cardledger-views``). Here, not in consumers/, so metrics read it too."""
    return f"relay:{relay}"


class Positions:
    """Followers' positions: the notification id each has finished, by name."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def ensure(self, name: str) -> None:
        """A follower that never ran starts at 0 (before the first event)."""
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO cl_tracking (name, position) VALUES (:n, 0) "
                       "ON CONFLICT (name) DO NOTHING", {"n": name})

    def read(self, name: str) -> int:
        """The position, read only; 0 for a name that never ran."""
        rows = self.db.read("SELECT position FROM cl_tracking WHERE name = :n", {"n": name})
        return int(rows[0]["position"]) if rows else 0

    @staticmethod
    def advance_in(tx: Transaction, name: str, expected: int, new: int) -> bool:
        """Compare-and-set within the caller's transaction (the projector moves
        its position in the transaction that applies the batch): False when
        the position is no longer ``expected``."""
        tx.execute("UPDATE cl_tracking SET position = :new WHERE name = :n AND position = :old",
                   {"new": new, "n": name, "old": expected})
        tx.sync()  # pipelined, the row count is known only once answered
        return tx.rowcount == 1

    def advance(self, name: str, expected: int, new: int) -> bool:
        """Compare-and-set in a transaction of its own (the relay, after the
        broker acknowledged the batch)."""
        with self.db.transaction() as tx:
            return self.advance_in(tx, name, expected, new)


def read_page(app: Application[Any], after: int, limit: int) -> Sequence[Notification]:
    """The next at most ``limit`` events after position ``after``, in log order."""
    return app.recorder.select_notifications(start=after, limit=limit, inclusive_of_start=False)


class Loop:
    def __init__(self, name: str, step: Callable[[], int], *, idle_wait: float = 0.0,
                 max_backoff: float = 30.0, wake: threading.Event | None = None) -> None:
        self.name = name
        self.step = step  # returns how much it did; 0 means idle
        self.idle_wait = idle_wait
        self.max_backoff = max_backoff
        # Set by whoever knows there is work (a command in this process, a
        # PostgreSQL NOTIFY): ends an idle wait at once.
        self.wake = wake or threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run_forever(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            self.wake.clear()  # before the step, so a wake-up during it is kept
            try:
                done = self.step()
            except Exception as e:  # noqa: BLE001 (any failure: back off, the work comes again)
                failures += 1
                jitter = random.uniform(0.5, 1.0)  # noqa: S311 (not for secrets)
                delay = min(self.max_backoff, 0.1 * 2**failures) * jitter
                log.warning("%s failed (attempt %d, retry in %.1fs): %s",
                            self.name, failures, delay, e)
                self._stopping.wait(delay)
                continue
            if failures:
                log.warning("%s recovered after %d failed attempt(s)", self.name, failures)
                failures = 0
            if not done and self.idle_wait:
                self.wake.wait(self.idle_wait)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self.run_forever, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stopping.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

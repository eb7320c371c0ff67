"""Keeps the views current by pulling the event store's notification log.

Pulling (rather than subscribing) works the same on SQLite, which has no
subscriptions, and on PostgreSQL, where the library's table lock makes
notification ids commit in order, so reading ``id > position`` never skips.

Only the projector applies batches. A command that must answer after the views
include it wakes the projector and waits on a condition the projector signals
(``wait_for``); it never polls the views or applies batches itself, so
concurrent requests don't queue on one lock to apply the same batch. Progress
made by another process reaches this one through ``advanced`` (fed by
projections/listener.py on PostgreSQL).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from eventsourcing.application import Application

from projections import log_follower
from projections.log_follower import Loop, read_page
from projections.read_model import ReadModel, StalePosition

log = logging.getLogger("cardledger.projections")

# How long the projector trusts the position it wrote before reading it again:
# views reset or rebuilt behind its back are noticed within this, even when no
# new event fails its compare-and-set.
POSITION_TRUSTED_FOR = 1.0


class Projector:
    def __init__(self, app: Application[Any], read_model: ReadModel, *,
                 batch_size: int = 500, poll_interval: float = 0.05) -> None:
        self.app = app
        self.read_model = read_model
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        # The same loop as the relay's (projections/log_follower.py): woken by
        # notify() or a NOTIFY, idle-polling at poll_interval, backing off on failure.
        self._loop = Loop("projector", self._catch_up, idle_wait=poll_interval)
        self._lock = threading.Lock()  # one batch at a time per process
        self._reached = threading.Condition()
        self._known = 0  # the highest views position this process knows of
        # Where this projector left the views: read once, then kept, so a wake-up
        # costs one read of the log, not a read of the position first. A stale
        # value (another process moved the views) fails the compare-and-set and
        # is read again.
        self._position: int | None = None
        self._read_at = 0.0
        # The highest position heard of since the last batch (another process's
        # projector, a command's inline write): where the next read of the log
        # starts instead of the kept position, so events already applied are not
        # read again. Taken once; if it was wrong (the views were reset), the
        # compare-and-set fails and the stored position is read, or, with nothing
        # after it to apply, the position is read within POSITION_TRUSTED_FOR.
        self._heard = 0
        self.watched = False  # another thread tells us of other processes' progress

    def run_once(self) -> int:
        """Apply the next batch; the number of events applied (0 when current)."""
        with self._lock:
            position = self._position
            with self._reached:
                heard, self._heard = self._heard, 0
            if position is None or time.monotonic() - self._read_at > POSITION_TRUSTED_FOR:
                # The stored position is the truth; a hint heard before it is not.
                position = self.read_model.position()
                self._read_at = time.monotonic()
                self.advanced(position)
            elif heard > position:
                position = heard
            log_follower.position.set(position)  # this thread's log lines say where the views are
            notifications = read_page(self.app, position, self.batch_size)
            if not notifications:
                self._position = position
                return 0
            batch = [(self.app.mapper.to_domain_event(n), n.id) for n in notifications]
            try:
                self.read_model.apply(batch, expected=position, new=notifications[-1].id)
            except StalePosition:
                # Another runner applied it; read where the views are and go on from there.
                self._position = None
                return 0
            except BaseException:
                self._position = None
                raise
            self._position = notifications[-1].id
            self.advanced(self._position)
            return len(batch)

    def advanced(self, position: int) -> None:
        """The views reached ``position`` (here or in another process): wake the waiters."""
        with self._reached:
            self._heard = max(self._heard, position)
            if position > self._known:
                self._known = position
                self._reached.notify_all()

    def catch_up(self) -> int:
        """Apply batches until the views are current; starts from the stored position."""
        self._position = None
        return self._catch_up()

    def _catch_up(self) -> int:
        total = 0
        while count := self.run_once():
            total += count
            if count < self.batch_size:
                break  # a short batch was the end of the log when it was read
        return total

    def wait_for(self, position: int | None, timeout: float, *, help_out: bool = True) -> bool:
        """Block until the views include ``position``; False on timeout.

        With the background thread running, wake it and wait for its signal.
        Without one (a CLI command, a test, an API process whose views another
        process keeps), help_out applies batches in the caller; otherwise wait
        for word of another process's progress (``advanced``), re-reading the
        position every poll interval in case no listener tells us."""
        if position is None or self._known >= position:
            return True
        deadline = time.monotonic() + timeout
        running = self._running
        if not running and help_out:
            while self.run_once() and self._known < position:
                pass
            return self._known >= position or self._refresh() >= position
        if running:
            self.notify()
        with self._reached:
            while self._known < position:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                if running or self.watched:
                    self._reached.wait(remaining)
                else:
                    self._reached.wait(min(remaining, self.poll_interval))
                    if self._known < position:
                        self._reached.release()
                        try:
                            self._refresh()
                        finally:
                            self._reached.acquire()
        return True

    def _refresh(self) -> int:
        self.advanced(self.read_model.position())
        return self._known

    def notify(self) -> None:
        self._loop.wake.set()

    # --- background thread -----------------------------------------------------------

    def start(self) -> None:
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop(timeout=10)

    def run_forever(self) -> None:
        self._loop.run_forever()

    @property
    def _running(self) -> bool:
        return self._loop.running

"""PostgreSQL LISTEN for one process: new events wake its projector at once,
and views progress made by any process wakes the requests waiting for it.

The library NOTIFYs the events table's channel in the transaction that inserts
events; ReadModel.apply NOTIFYs ``cl_views`` with the new position in the
transaction that applies a batch (and the append's own transaction does, when
it writes the views inline, saying so: the projector is then not woken). Both
are delivered at commit, so a waiter learns of progress one round trip after
it happens, without polling. One
dedicated connection (not one of the pool's) per process; when it is down the
projector and the waiters fall back to polling, and it reconnects with backoff.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import psycopg
from psycopg import sql

from projections.read_model import INLINE, VIEWS_CHANNEL
from projections.runner import Projector

log = logging.getLogger("cardledger.projections")


class PostgresListener:
    def __init__(self, projector: Projector, connect_kwargs: dict[str, Any],
                 events_channel: str) -> None:
        self.projector = projector
        self.connect_kwargs = {k: v for k, v in connect_kwargs.items() if k != "row_factory"}
        self.connect_kwargs.setdefault("connect_timeout", 3)
        self.events_channel = events_channel
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="views-listener", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                self._listen()
                failures = 0
            except Exception as e:  # noqa: BLE001 (the database or the network: retry)
                failures += 1
                log.warning("views listener lost its connection (attempt %d): %s",
                            failures, str(e).strip().splitlines()[-1] if str(e).strip() else e)
            finally:
                self.projector.watched = False
            self._stopping.wait(min(5.0, 0.1 * 2**failures))

    def _listen(self) -> None:
        with psycopg.connect(**self.connect_kwargs, autocommit=True) as conn:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.events_channel)))
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(VIEWS_CHANNEL)))
            self.projector.watched = True
            # Progress made while we were not listening is not replayed: read it once.
            self.projector.advanced(self.projector.read_model.position())
            self.projector.notify()
            while not self._stopping.is_set():
                # What arrived together: a commit's notifications come in one packet.
                self._heard(list(conn.notifies(timeout=0.5, stop_after=1)))

    def _heard(self, notes: list[psycopg.Notify]) -> None:
        """Progress of the views wakes the waiters; new events wake the
        projector, unless each came with the views' own word that the same
        commit applied them (inline views): then it has nothing to read."""
        appends = applied_with_them = 0
        for note in notes:
            if note.channel == VIEWS_CHANNEL:
                position, _, how = note.payload.partition(" ")
                self.projector.advanced(int(position))
                applied_with_them += how == INLINE
            else:
                appends += 1
        if appends > applied_with_them:
            self.projector.notify()

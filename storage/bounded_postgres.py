"""The PostgreSQL event store, bounded in time: one call to it (a load, an
append, a read of the views) ends within ``CARDLEDGER_STORE_TIMEOUT`` seconds,
whatever shape an outage takes.

Why: the library alone retries a failed call ten times, each attempt waiting
up to ``POSTGRES_CONNECT_TIMEOUT`` for a pooled connection (half a minute or
more with the database down), opens connections with no connect timeout, and
sets no limit on a statement (a stalled server holds a caller forever). Here a
call gets one budget, spent on connection waits, retries and statements alike:

- retries go on while the budget lasts, and a pool wait gets what is left;
- a connection still checked out at the deadline has its socket shut down by
  a watchdog thread, so a silent server fails the call like a dead one (the
  server's own ``statement_timeout``, also set, cannot help when it is the
  server that stalls);
- once a call in a context (a request, the projector thread) ran out of time,
  that context's next calls to the same store fail at once for one budget: a
  request that met an outage does not wait for it twice (e.g. a cleanup after
  a failed append).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from time import monotonic, sleep
from typing import Any, TypeVar

import psycopg
from eventsourcing.persistence import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.utils import Environment, EnvType
from psycopg.types.composite import register_composite

from storage import expected_versions, postgres_append, same_transaction

T = TypeVar("T")
RETRY_PAUSE = 0.05  # seconds between attempts: a dead pooled connection fails at once

_deadline: ContextVar[float | None] = ContextVar("store_deadline", default=None)
# (the budget that ran out, until when its calls fail at once) in this context
_gave_up: ContextVar[tuple[Budget, float] | None] = ContextVar("store_gave_up", default=None)
_watch: ContextVar[_Watch | None] = ContextVar("store_watch", default=None)


class StoreTimeout(OperationalError):
    """The event store did not answer within the budget; not retried."""


def _out_of_time(deadline: float) -> bool:
    """Too late for another attempt."""
    return monotonic() + RETRY_PAUSE >= deadline


class Budget:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    @contextmanager
    def call(self) -> Iterator[float]:
        """The deadline of the call in progress in this context; the outermost
        call starts it, and turns a failure past it into StoreTimeout."""
        if (deadline := _deadline.get()) is not None:
            yield deadline
            return
        start = monotonic()
        if (gave_up := _gave_up.get()) is not None and gave_up[0] is self and start < gave_up[1]:
            raise StoreTimeout("the event store did not answer a moment ago; not waiting again")
        deadline = start + self.seconds
        token = _deadline.set(deadline)
        try:
            yield deadline
        except (InterfaceError, OperationalError) as e:
            if isinstance(e, StoreTimeout) or not _out_of_time(deadline):
                raise
            _gave_up.set((self, monotonic() + self.seconds))
            first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise StoreTimeout(f"no answer from the event store within {self.seconds:g} s: "
                               f"{first_line}") from e
        finally:
            _deadline.reset(token)


# --- the watchdog ---------------------------------------------------------------------------

class _Watch:
    __slots__ = ("cut", "deadline", "renew_by", "socket")

    def __init__(self, deadline: float, renew_by: float, sock: socket.socket) -> None:
        self.deadline = deadline
        self.renew_by = renew_by
        self.socket = sock  # our own descriptor of the connection's socket
        self.cut = False


class Watchdog:
    """One thread that shuts down the socket of a connection still checked out
    past its deadline; the call blocked on it then fails as on a dead server."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._watches: set[_Watch] = set()
        self._wakes_at = float("inf")
        self._thread: threading.Thread | None = None

    @contextmanager
    def watch(self, conn: psycopg.Connection[Any], deadline: float,
              renew_by: float) -> Iterator[_Watch]:
        # A duplicate descriptor: the socket stays ours to shut down even if
        # libpq closes its own descriptor meanwhile, so no reused number is hit.
        watch = _Watch(deadline, renew_by, socket.socket(fileno=os.dup(conn.pgconn.socket)))
        with self._cond:
            self._watches.add(watch)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="store-watchdog",
                                                daemon=True)
                self._thread.start()
            if deadline < self._wakes_at:
                self._cond.notify()
        token = _watch.set(watch)
        try:
            yield watch
        finally:
            _watch.reset(token)
            with self._cond:
                self._watches.discard(watch)
            watch.socket.close()
            if watch.cut:
                conn.close()  # back in the pool, a closed connection is replaced

    def _run(self) -> None:
        with self._cond:
            while True:
                now = monotonic()
                for watch in [w for w in self._watches if w.deadline <= now and not w.cut]:
                    watch.cut = True
                    with contextlib.suppress(OSError):  # already gone
                        watch.socket.shutdown(socket.SHUT_RDWR)
                pending = [w.deadline for w in self._watches if not w.cut]
                self._wakes_at = min(pending, default=float("inf"))
                self._cond.wait(None if not pending else self._wakes_at - now)


WATCHDOG = Watchdog()


def progressed() -> None:
    """The connection of this context's call just finished a statement: its
    next one gets a whole budget (a long transaction that keeps moving, such as
    a rebuild's bulk copy, is not cut; a silent one still is). No-op off PostgreSQL."""
    if (watch := _watch.get()) is not None:
        watch.deadline = max(watch.deadline, monotonic() + watch.renew_by)


# --- the datastore and recorders ------------------------------------------------------------

_ERRORS: tuple[tuple[type[psycopg.Error], type[PersistenceError]], ...] = (
    # Most specific first, as in the library's own get_connection.
    (psycopg.InterfaceError, InterfaceError), (psycopg.OperationalError, OperationalError),
    (psycopg.DataError, DataError), (psycopg.IntegrityError, IntegrityError),
    (psycopg.InternalError, InternalError), (psycopg.ProgrammingError, ProgrammingError),
    (psycopg.NotSupportedError, NotSupportedError), (psycopg.DatabaseError, DatabaseError),
)


def _as_persistence_error(error: psycopg.Error) -> PersistenceError:
    ours = next((o for theirs, o in _ERRORS if isinstance(error, theirs)), PersistenceError)
    return ours(str(error))


class BoundedDatastore(PostgresDatastore):
    budget: Budget

    @classmethod
    def take_over(cls, datastore: PostgresDatastore, budget: Budget) -> BoundedDatastore:
        # The library's factory builds its PostgresDatastore itself (parsing
        # twenty settings); adopting that object is simpler than copying it.
        datastore.__class__ = cls
        assert isinstance(datastore, BoundedDatastore)
        datastore.budget = budget
        return datastore

    @contextmanager
    def get_connection(self) -> Iterator[psycopg.Connection[Any]]:
        """The library's get_connection, within the budget."""
        with self.budget.call() as deadline:
            watch: _Watch | None = None
            try:
                self.pool.open()
                with self.pool.connection(timeout=max(deadline - monotonic(), 0.0)) as conn, \
                        WATCHDOG.watch(conn, deadline, self.budget.seconds) as watch:
                    for info in self.psycopg_type_adapters.values():
                        if not conn.adapters.types.get(info.oid):
                            register_composite(info, conn)
                    yield conn
            except psycopg.Error as e:
                if watch is not None and watch.cut:
                    raise OperationalError("still waiting for the server at the deadline (a "
                                           "stalled server, or a lock); connection closed") from e
                raise _as_persistence_error(e) from e

    def retrying(self, attempt: Callable[[], T]) -> T:
        """``attempt`` again after a connection-level error, while the budget lasts."""
        with self.budget.call() as deadline:
            while True:
                try:
                    return attempt()
                except (InterfaceError, OperationalError):
                    if _out_of_time(deadline):
                        raise
                sleep(RETRY_PAUSE)


def _bounded(method: Callable[..., T]) -> Callable[..., T]:
    """A recorder method whose retries are the budget's, not the library's ten."""
    body = getattr(method, "__wrapped__", method)

    @wraps(body)
    def call(recorder: PostgresAggregateRecorder, *args: Any, **kwargs: Any) -> T:
        datastore = recorder.datastore
        assert isinstance(datastore, BoundedDatastore)
        return datastore.retrying(lambda: body(recorder, *args, **kwargs))

    return call


class BoundedAggregateRecorder(PostgresAggregateRecorder):
    """Snapshots."""

    insert_events = _bounded(PostgresAggregateRecorder.insert_events)
    select_events = _bounded(PostgresAggregateRecorder.select_events)


class BoundedApplicationRecorder(PostgresApplicationRecorder):
    checks_expected_versions = True  # storage/expected_versions.py
    select_events = _bounded(PostgresApplicationRecorder.select_events)
    select_notifications = _bounded(PostgresApplicationRecorder.select_notifications)
    max_notification_id = _bounded(PostgresApplicationRecorder.max_notification_id)

    def insert_events(self, stored_events: Any, **kwargs: Any) -> Any:
        return same_transaction.insert_events(self._insert_bounded, stored_events, kwargs)

    def _insert_in_one_transaction(self, stored_events: Any, **kwargs: Any) -> Any:
        """The library's append, statement for statement, in a transaction of
        two round trips where the library's takes five (storage/postgres_append.py)."""
        if not stored_events:
            return None
        expected = expected_versions.of(kwargs)
        with self.datastore.get_connection() as conn:
            checked: list[Callable[[], Any]] = []

            def insert(cursor: Any) -> None:
                self._insert_stored_events(cursor, stored_events, **kwargs)
                if expected:  # in the insert's round trip (storage/expected_versions.py)
                    checked.append(expected_versions.send_check(
                        conn.cursor(), self._table, expected, postgres=True))

            def fetch_ids(cursor: Any) -> Any:
                for rows in checked:
                    expected_versions.verify(rows(), stored_events)
                return self._fetch_ids_after_insert_events(cursor, stored_events, **kwargs)

            return postgres_append.insert_events(
                conn, stored_events, insert, fetch_ids,
                with_work=same_transaction.of(kwargs) is not None)

    def _insert_stored_events(self, curs: Any, stored_events: Any, **kwargs: Any) -> None:
        # The library's statements (lock, NOTIFY, INSERT), with the
        # same-transaction work's reads sent right after the lock: they ride
        # the insert's round trip (storage/same_transaction.py).
        self._lock_table(curs)
        same_transaction.under_lock(curs, kwargs)
        self._notify_channel(curs)
        PostgresAggregateRecorder._insert_stored_events(self, curs, stored_events, **kwargs)

    @property
    def _table(self) -> str:
        return f'"{self.datastore.schema}"."{self.events_table_name}"'

    _insert_bounded = _bounded(_insert_in_one_transaction)

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Any,
                                       **kwargs: Any) -> Any:
        # The library's last step inside the insert's transaction (it holds the
        # table lock, and the ids are known): where same-transaction work goes.
        notification_ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        same_transaction.after_insert(curs, notification_ids, kwargs)
        return notification_ids


class BoundedPostgresFactory(PostgresFactory):
    """The library's PostgreSQL factory, every call bounded by STORE_TIMEOUT."""

    STORE_TIMEOUT = "STORE_TIMEOUT"
    aggregate_recorder_class = BoundedAggregateRecorder
    application_recorder_class = BoundedApplicationRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        seconds = float(self.env.get(self.STORE_TIMEOUT) or 5)
        connect_timeout = self.env.get(self.POSTGRES_CONNECT_TIMEOUT) or "5"
        pool = self.datastore.pool
        assert isinstance(pool.kwargs, dict)
        # Not opened yet (it opens on first use), so every connection gets these:
        # a bound on opening one (libpq's default is none, psycopg's 130 s), and
        # the server's own limit on a statement.
        pool.kwargs.update(connect_timeout=connect_timeout,
                           options=f"-c statement_timeout={round(seconds * 1000)}")
        self.datastore = BoundedDatastore.take_over(self.datastore, Budget(seconds))

"""Work done in the append's own transaction, after its insert.

An insert's caller may pass ``same_transaction=`` to the recorder's
``insert_events`` (through ``Application._record``'s keyword arguments). The
recorder runs it once the events are inserted and their notification ids are
known, before the commit, on the same connection; and tells it when the commit
has happened. The views' inline writer (projections/inline_views.py) is the
one user: it lets a command's answer include its change without waiting for
a projector.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

KEYWORD = "same_transaction"


class Spoiled(Exception):
    """The work failed, in its own step or when the transaction tried to
    commit: nothing of the attempt is committed, and the recorder inserts the
    events again, in a new transaction, without the work."""


class SameTransaction(Protocol):
    def under_lock(self, cursor: Any) -> None:
        """PostgreSQL only: sends the work's reads with the insert's own
        statements, after the table lock and before the INSERT, so they are
        answered in the insert's round trip. A failure it sees raises
        ``Spoiled``; its statements may also fail only when the insert's
        answers arrive, and the recorder then raises ``Spoiled`` too."""

    def run(self, cursor: Any, notification_ids: Sequence[int]) -> None:
        """Inside the append's transaction, after its insert. ``cursor`` is
        the store's own (psycopg's, or the library's SQLite wrapper). A
        failure it sees raises ``Spoiled``; on PostgreSQL its statements may
        also fail only at the commit, and the recorder then raises it. Either
        way the recorder never commits that attempt (it is the one to end
        the transaction: storage/postgres_append.py, the library's SQLite
        recorder), and the append is made again without the work: the
        append matters more."""

    def committed(self) -> None:
        """The append's transaction has committed, the work with it."""

    def failed(self, error: Spoiled) -> None:
        """The work spoiled its attempt; the events are appended again without it."""


def of(kwargs: dict[str, Any]) -> SameTransaction | None:
    found: SameTransaction | None = kwargs.get(KEYWORD)
    return found


def under_lock(cursor: Any, kwargs: dict[str, Any]) -> None:
    """A PostgreSQL recorder's step between its table lock and its INSERT."""
    then = of(kwargs)
    if then is not None:
        then.under_lock(cursor)


def after_insert(cursor: Any, notification_ids: Sequence[int] | None,
                 kwargs: dict[str, Any]) -> None:
    """A recorder's step inside the insert's transaction, once the ids are
    known: runs the same-transaction work, if any."""
    then = of(kwargs)
    if then is not None and notification_ids:
        then.run(cursor, notification_ids)


def insert_events(insert: Callable[..., T], stored_events: Any, kwargs: dict[str, Any]) -> T:
    """``insert`` (a recorder's own insert_events) with the same-transaction
    work, if any; again without it if it spoiled the first attempt; then tells
    the work of the commit."""
    then = of(kwargs)
    if then is None:
        return insert(stored_events, **kwargs)
    try:
        notification_ids = insert(stored_events, **kwargs)
    except Spoiled as spoiled:
        then.failed(spoiled)
        return insert(stored_events, **{k: v for k, v in kwargs.items() if k != KEYWORD})
    then.committed()
    return notification_ids

"""The append's transaction on PostgreSQL, in as few round trips as it needs.

The library's ``insert_events`` sends the right statements (the table lock,
the NOTIFY, one INSERT returning the notification ids) but wraps them in
psycopg's ``transaction()`` inside a pipeline, and psycopg syncs with the
server on entering and on leaving each of the nested pipelines that
``transaction()`` opens there: five round trips for an append that needs
two, all but the first with the table lock held (nine with the views
written inline, where two are enough too). Each append waits for
them, and so does every other append, queued on the lock.

Here the same statements, in the same order, go in one pipeline with
``BEGIN`` and ``COMMIT`` written out (the library's connections are in
autocommit mode, so psycopg adds nothing):

1. ``BEGIN``, lock, the same-transaction work's reads
   (storage/same_transaction.py), NOTIFY, INSERT, the check of the
   append's condition (storage/expected_versions.py), then a sync: the ids,
   the reads' rows, or the conflict;
2. the same-transaction work's writes, ``COMMIT``, and the sync of leaving
   the pipeline, which answers both.

What it adds to the library's: the COMMIT's answer is checked. PostgreSQL
answers ``ROLLBACK`` to a COMMIT of a transaction a failed statement had
aborted, which is no error to psycopg; it raises here, so events are never
reported stored when they are not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent

from storage.same_transaction import Spoiled


class NotCommitted(psycopg.InternalError):
    """The server rolled the append back at COMMIT: something in the
    transaction failed and its error was swallowed. A bug, never retried
    (the same work would fail the same way): the command fails, loudly."""


def insert_events(connection: psycopg.Connection[Any], stored_events: Sequence[StoredEvent],
                  insert: Callable[[Any], None],
                  fetch_ids: Callable[[Any], Sequence[int] | None], *,
                  with_work: bool = False) -> Sequence[int] | None:
    """``insert(cursor)`` sends the statements of the append (the recorder's
    ``_insert_stored_events``); ``fetch_ids(cursor)`` reads their ids and
    does the same-transaction work (its ``_fetch_ids_after_insert_events``).
    ``with_work``: there is such work, and its statements' answers come with
    the COMMIT's; a statement of it that fails fails the COMMIT, and that is
    raised as ``Spoiled``: the recorder appends the events again without it."""
    error: BaseException | None = None
    notification_ids: Sequence[int] | None = None
    inserted = False
    with connection.cursor() as cursor:
        try:
            with connection.pipeline() as pipeline:
                try:
                    cursor.execute("BEGIN")
                    insert(cursor)
                    pipeline.sync()  # a conflict (or any failure) is raised here
                    inserted = True
                    notification_ids = fetch_ids(cursor)
                    cursor.execute("COMMIT")
                except BaseException as e:  # noqa: BLE001
                    # Raised after the pipeline's block, not inside it: psycopg
                    # would warn while leaving it (the library avoids it the same way).
                    error = e
        except psycopg.Error as e:  # leaving the pipeline: the answers after the insert's
            if error is None:
                error = e
        if with_work and isinstance(error, psycopg.Error) and (
                inserted or _not_the_inserts(error)):
            # With work in the transaction, a server error is the work's when
            # it came after the insert succeeded: its writes' answers arrive
            # with the COMMIT's sync, or earlier, at any later statement sent
            # (psycopg reads what has arrived as it sends). Before that, one
            # that is no conflict may be its reads' (same_transaction.under_lock).
            # Either way the append is tried again without the work.
            error = _spoiled(error, connection)
        if error is None and cursor.statusmessage != "COMMIT":
            error = NotCommitted(f"the append was rolled back at COMMIT ({cursor.statusmessage})")
    if error is not None:
        # Raised through the pool's connection block, which rolls back what
        # the failed attempt left open before the connection is reused.
        raise error
    return notification_ids


def _not_the_inserts(error: BaseException | None) -> bool:
    """A server error in the insert's round trip that a conflict is not."""
    return isinstance(error, psycopg.Error) and not isinstance(error, psycopg.IntegrityError)


def _spoiled(error: psycopg.Error, connection: psycopg.Connection[Any]) -> BaseException:
    """A failure after the insert, with same-transaction work in it: the
    work's (the insert had succeeded, and a COMMIT fails on its own only with
    the connection, which stays a connection error for the caller to retry)."""
    if connection.broken or connection.closed:
        return error
    spoiled = Spoiled(str(error))
    spoiled.__cause__ = error  # what the work's failed() reports
    return spoiled

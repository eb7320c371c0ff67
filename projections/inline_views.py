"""The views written in the append's own transaction, when they are current.

A command used to answer only once the projector (a thread, or another
process) had read its events back from the log and applied them in a
transaction of its own: two more transactions and two NOTIFY hops on the path
of every command. Here the append's transaction itself applies the command's
events to the views, as Marten's inline projections do, whenever the views
already hold every event before them; the answer then waits for nothing.

What keeps this exactly-once beside the projector and the rebuild:

- It runs after the insert, while the store's write lock is held (the
  library's exclusive table lock on PostgreSQL, SQLite's one writer), so no
  other append is in flight: "the views hold everything before these events"
  is checked against the log itself, and moving the position to the batch's
  last event skips nothing.
- The views' position row is taken ``FOR UPDATE SKIP LOCKED``: when the
  projector or a rebuild is mid-transaction, this writes nothing rather than
  wait for them with the store's lock held, and they apply the events in turn.
- A view write that fails never costs the append: the attempt is rolled
  back whole and the events are appended again without the views (the
  recorder does it, storage/same_transaction.py); the projector applies
  them, and meets the failure itself, as before. Not a savepoint: a failed
  statement in psycopg's pipeline can leave the rollback to a savepoint
  undone, and the library would then commit an aborted transaction, a
  silent rollback, while reporting the events stored (seen once in the
  suite). Failing the whole attempt on purpose cannot go wrong that way.
- The position moves in the same transaction as the events, so the views are
  committed exactly as durably as the events they show.

The projector still follows the log: for events saved any other way, for
batches skipped here, and for rebuilds. It learns of the new position from
the commit (``Projector.advanced``, and the views' NOTIFY in other processes)
and does not read those events again.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from eventsourcing.application import Application
from psycopg.pq import TransactionStatus

from projections.database import Transaction
from projections.event_log import events_table
from projections.read_model import ReadModel
from projections.runner import Projector
from storage import same_transaction
from storage.same_transaction import Spoiled

log = logging.getLogger("cardledger.projections")

# With the store's write lock held, a view row locked by anyone else must not
# be waited for: give up on it quickly and leave the batch to the projector.
LOCK_TIMEOUT_MS = 100


class InlineViews:
    """``CardLedger.in_same_transaction``: for an insert's events, the
    recorder keyword that applies them to the views inside its transaction."""

    def __init__(self, app: Application[Any], read_model: ReadModel, projector: Projector, *,
                 counted: Callable[[str], None] | None = None) -> None:
        self.read_model = read_model
        self.projector = projector
        self.counted = counted  # told each outcome's name (the composition root's metric)
        self.events_table = events_table(app, postgres=read_model.db.postgres)
        # Batches written inline; left to the projector (views behind, or their
        # position locked); failed (appended again without the views).
        self.applied = 0
        self.skipped = 0
        self.failed = 0

    def __call__(self, events: Sequence[Any]) -> dict[str, Any]:
        return {same_transaction.KEYWORD: _InlineBatch(self, list(events))}

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        if self.counted is not None:
            self.counted(outcome)


class _InlineBatch:
    def __init__(self, owner: InlineViews, events: list[Any]) -> None:
        self.owner = owner
        self.events = events
        self.reached: int | None = None

    def run(self, cursor: Any, notification_ids: Sequence[int]) -> None:
        self.reached = None  # each attempt of the insert starts afresh
        batch = list(zip(self.events, notification_ids, strict=True))
        owner = self.owner
        try:
            if owner.read_model.db.postgres:
                applied = self._run_postgres(cursor.connection, batch)
            else:
                applied = self._run_sqlite(cursor, batch)
        except Spoiled as e:
            owner.count("failed")
            cause = e.__cause__ or e
            log.warning("views not written with the append; the events are appended again "
                        "without them and the projector applies them: %s",
                        str(cause).strip().splitlines()[-1] if str(cause).strip()
                        else type(cause).__name__)
            raise
        if applied:
            owner.count("applied")
            self.reached = batch[-1][1]
        else:
            owner.count("skipped")

    def _run_sqlite(self, cursor: Any, batch: list[tuple[Any, int]]) -> bool:
        try:
            return self.owner.read_model.apply_inline(
                Transaction(cursor, postgres=False), batch, events_table=self.owner.events_table)
        except Exception as e:
            raise Spoiled(str(e)) from e  # the library's transaction rolls back on the way out

    def _run_postgres(self, connection: Any, batch: list[tuple[Any, int]]) -> bool:
        # The views' statements go along the recorder's pipelined transaction;
        # leaving this nested pipeline syncs once, surfacing any failure among them.
        try:
            with connection.pipeline() as pipeline, connection.cursor() as cursor:
                tx = Transaction(cursor, postgres=True, pipeline=pipeline)
                tx.execute(f"SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}")
                applied = self.owner.read_model.apply_inline(
                    tx, batch, events_table=self.owner.events_table)
            if connection.info.transaction_status != TransactionStatus.INTRANS:
                raise RuntimeError(f"transaction left {connection.info.transaction_status.name}")
            return applied
        except Exception as e:
            # Make sure the transaction cannot commit: after an error it is
            # already aborted; after a failure of ours it is not, so fail a
            # statement (the server runs them in order: COMMIT comes after).
            with contextlib.suppress(psycopg.Error), connection.pipeline():
                connection.execute("SELECT 1 / 0")
            raise Spoiled(str(e)) from e

    def committed(self) -> None:
        if self.reached is not None:
            self.owner.projector.advanced(self.reached)

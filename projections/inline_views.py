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
- It runs in a savepoint: if a view write fails, only the views' part rolls
  back, the append commits, and the projector applies the events (and meets
  the failure itself, as before). A command is never refused for a view.
- The position moves in the same transaction as the events, so the views are
  committed exactly as durably as the events they show.

The projector still follows the log: for events saved any other way, for
batches skipped here, and for rebuilds. It learns of the new position from
the commit (``Projector.advanced``, and the views' NOTIFY in other processes)
and does not read those events again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from eventsourcing.application import Application

from projections.database import Transaction
from projections.event_log import events_table
from projections.read_model import ReadModel
from projections.runner import Projector
from storage import same_transaction

log = logging.getLogger("cardledger.projections")

# With the store's write lock held, a view row locked by anyone else must not
# be waited for: give up on it quickly and leave the batch to the projector.
LOCK_TIMEOUT_MS = 100


class InlineViews:
    """``CardLedger.in_same_transaction``: for an insert's events, the
    recorder keyword that applies them to the views inside its transaction."""

    def __init__(self, app: Application[Any], read_model: ReadModel, projector: Projector) -> None:
        self.read_model = read_model
        self.projector = projector
        self.events_table = events_table(app, postgres=read_model.db.postgres)
        self.applied = 0  # batches written inline (bench and tests read these)
        self.skipped = 0

    def __call__(self, events: Sequence[Any]) -> dict[str, Any]:
        return {same_transaction.KEYWORD: _InlineBatch(self, list(events))}


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
        except Exception as e:  # noqa: BLE001 (the append goes on; the projector applies the batch)
            owner.skipped += 1
            log.warning("views not written with the append (the projector will apply "
                        "positions %d-%d): %s", batch[0][1], batch[-1][1],
                        str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__)
            return
        if applied:
            owner.applied += 1
            self.reached = batch[-1][1]
        else:
            owner.skipped += 1

    def _run_postgres(self, connection: Any, batch: list[tuple[Any, int]]) -> bool:
        # A savepoint in the library's pipelined transaction; the views'
        # statements go along with it, and one sync at the end surfaces any
        # failure inside the savepoint, so only the views' part rolls back.
        with connection.transaction(), connection.pipeline() as pipeline, \
                connection.cursor() as cursor:
            tx = Transaction(cursor, postgres=True, pipeline=pipeline)
            tx.execute(f"SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}")
            applied = self.owner.read_model.apply_inline(
                tx, batch, events_table=self.owner.events_table)
            pipeline.sync()
            return applied

    def _run_sqlite(self, cursor: Any, batch: list[tuple[Any, int]]) -> bool:
        cursor.execute("SAVEPOINT inline_views")
        try:
            applied = self.owner.read_model.apply_inline(
                Transaction(cursor, postgres=False), batch, events_table=self.owner.events_table)
        except BaseException:
            cursor.execute("ROLLBACK TO SAVEPOINT inline_views")
            cursor.execute("RELEASE SAVEPOINT inline_views")
            raise
        cursor.execute("RELEASE SAVEPOINT inline_views")
        return applied

    def committed(self) -> None:
        if self.reached is not None:
            self.owner.projector.advanced(self.reached)

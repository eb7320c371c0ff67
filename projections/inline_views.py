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
- A view write that fails never costs the append: the recorder ends that
  attempt without committing it and appends the events again without the
  views (storage/same_transaction.py); the projector applies them, and meets
  the failure itself, as before. On PostgreSQL the view writes are answered
  with the COMMIT (one round trip for both), so a write that fails there
  spoils the attempt the same way (storage/postgres_append.py). Not a
  savepoint: a failed statement in psycopg's pipeline can leave the rollback
  to a savepoint undone, and a commit after it would be a silent rollback
  while the events were reported stored (seen once in the suite).
- The position moves in the same transaction as the events, so the views are
  committed exactly as durably as the events they show.

The projector still follows the log: for events saved any other way, for
batches skipped here, and for rebuilds. It learns of the new position from
the commit (``Projector.advanced``, and the views' NOTIFY in other processes)
and does not read those events again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.application import Application

from projections.database import Transaction
from projections.event_log import events_table
from projections.read_model import InlineReads, ReadModel
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
        self.reads: InlineReads | None = None  # sent under the lock, before the insert
        self.reached: int | None = None  # the batch's last position, once written

    def under_lock(self, cursor: Any) -> None:
        """PostgreSQL: the reads go with the insert's own statements, after
        the table lock and before the INSERT, and are answered with it: the
        append's transaction is then two round trips, where it was three."""
        try:
            self.reads = self._read(Transaction(cursor, postgres=True), first=None)
        except Exception as e:
            raise Spoiled(str(e)) from e

    def _read(self, tx: Transaction, *, first: int | None) -> InlineReads:
        if tx.postgres:  # never wait on a view row with the store's lock held
            tx.execute(f"SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}")
        return self.owner.read_model.read_for_inline(
            tx, self.events, events_table=self.owner.events_table, first=first)

    def run(self, cursor: Any, notification_ids: Sequence[int]) -> None:
        self.reached = None  # each attempt of the insert starts afresh
        reads, self.reads = self.reads, None
        batch = list(zip(self.events, notification_ids, strict=True))
        read_model = self.owner.read_model
        try:
            # On PostgreSQL the statements go along the recorder's pipelined
            # transaction, and those that write are answered with its COMMIT:
            # one failing there spoils the attempt (storage/postgres_append.py).
            tx = Transaction(cursor, postgres=read_model.db.postgres)
            if reads is None:  # SQLite: read now, after the insert took the write lock
                reads = self._read(tx, first=batch[0][1])
            applied = read_model.apply_inline(tx, batch, reads)
        except Exception as e:
            raise Spoiled(str(e)) from e  # the recorder ends the transaction uncommitted
        if applied:
            self.reached = batch[-1][1]

    def committed(self) -> None:
        if self.reached is None:
            self.owner.count("skipped")
            return
        self.owner.count("applied")
        self.owner.projector.advanced(self.reached)

    def failed(self, error: Spoiled) -> None:
        self.owner.count("failed")
        cause = error.__cause__ or error
        log.warning("views not written with the append; the events are appended again "
                    "without them and the projector applies them: %s",
                    str(cause).strip().splitlines()[-1] if str(cause).strip()
                    else type(cause).__name__)

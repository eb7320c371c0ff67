"""The library's SQLite application recorder, plus work in the append's own
transaction (storage/same_transaction.py), as the PostgreSQL one has."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from storage import same_transaction


class SQLiteRecorder(SQLiteApplicationRecorder):
    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        return same_transaction.insert_events(super().insert_events, stored_events, kwargs)

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        same_transaction.after_insert(c, notification_ids, kwargs)
        return notification_ids

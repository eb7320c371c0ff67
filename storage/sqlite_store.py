"""The library's SQLite application recorder, plus what the PostgreSQL one
adds: appends on condition (storage/expected_versions.py) and work in the
append's own transaction (storage/same_transaction.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from storage import expected_versions, same_transaction


class SQLiteRecorder(SQLiteApplicationRecorder):
    checks_expected_versions = True  # storage/expected_versions.py

    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        return same_transaction.insert_events(super().insert_events, stored_events, kwargs)

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        expected = expected_versions.of(kwargs)
        if expected:  # after the insert, which took SQLite's write lock
            expected_versions.verify(expected_versions.send_check(
                c, self.events_table_name, expected, postgres=False)(), stored_events)
        same_transaction.after_insert(c, notification_ids, kwargs)
        return notification_ids

"""Office consumers' own storage: a SQLite file, never cardledger's tables.

Office systems are separate from cardledger, so their state lives apart; each
consumer keeps the ids of the events it processed in the same transaction as
the state they changed, which is what makes re-delivery harmless.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class LocalStore:
    def __init__(self, path: Path, tables: Iterable[str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # One connection per store, shared by the consumer thread and readers.
        self._conn = sqlite3.connect(path, timeout=10, isolation_level=None,
                                     check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        # WAL with the default synchronous=FULL: a commit is on disk before the
        # consumer commits its Kafka offset, so a power cut cannot lose an event.
        self._conn.execute("PRAGMA journal_mode=WAL")
        with self.transaction() as tx:
            for statement in tables:
                tx.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def read(self, sql: str,
             params: Mapping[str, Any] | tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(row) for row in self._conn.execute(sql, params).fetchall()]

    def close(self) -> None:
        with self._lock:
            self._conn.close()

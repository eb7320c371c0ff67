"""Office consumers' own storage: a SQLite file, never cardledger's tables.

Office systems are separate from cardledger, so their state lives apart; each
consumer keeps the ids of the events it processed in the same transaction as
the state they changed, which is what makes re-delivery harmless.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class LocalStore:
    """``migrations[n]`` is the list of statements that brings the file to
    version n + 1: numbered like cardledger's own (cardledger/schema), the
    version kept in SQLite's own ``PRAGMA user_version``. Applied at open, each
    with its version in one IMMEDIATE transaction, so two processes opening the
    file at once take turns. A released migration is never edited: a change is
    a new one appended."""

    def __init__(self, path: Path, migrations: Sequence[Iterable[str]]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # One connection per store, shared by the consumer thread and readers.
        self._conn = sqlite3.connect(path, timeout=10, isolation_level=None,
                                     check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        # WAL with the default synchronous=FULL: a commit is on disk before the
        # consumer commits its Kafka offset, so a power cut cannot lose an event.
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._migrate(migrations)

    def _migrate(self, migrations: Sequence[Iterable[str]]) -> None:
        with self.transaction() as tx:
            version = int(tx.execute("PRAGMA user_version").fetchone()[0])
            for number, statements in enumerate(migrations[version:], start=version + 1):
                for statement in statements:
                    tx.execute(statement)
                tx.execute(f"PRAGMA user_version = {int(number)}")

    def version(self) -> int:
        return int(self.read("PRAGMA user_version")[0]["user_version"])

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

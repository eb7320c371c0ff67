"""One SQL dialect for the views on SQLite and PostgreSQL.

Statements are written once with ``:name`` parameters; for PostgreSQL they are
rewritten to psycopg's ``%(name)s``. Connections come from the event store's own
datastore (the library's pool), so views live beside the events, and share its
time bound (storage/bounded_postgres.py): a read is retried within it, and in a
transaction each statement gets it anew, so a long rebuild is not cut.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.application import Application
from eventsourcing.postgres import PostgresDatastore
from psycopg.pq import PipelineStatus
from psycopg.rows import tuple_row

from storage.bounded_postgres import BoundedDatastore, progressed

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class Transaction:
    def __init__(self, cursor: Any, postgres: bool, pipeline: Any = None) -> None:
        self._cursor = cursor
        self._postgres = postgres
        self.postgres = postgres
        self._pipeline = pipeline  # psycopg's, when the statements are pipelined

    def sync(self) -> None:
        """Pipelined: waits for the results of the statements sent so far
        (a rowcount is known only then). Otherwise nothing to wait for."""
        if self._pipeline is not None:
            self._pipeline.sync()

    def _in_dialect(self, sql: str) -> str:
        return _PARAM.sub(r"%(\1)s", sql) if self._postgres else sql

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Transaction:
        self._cursor.execute(self._in_dialect(sql), dict(params or {}))
        progressed()
        return self

    def read_later(self, sql: str, params: Mapping[str, Any]) -> Callable[[], list[dict[str, Any]]]:
        """Sends a read now and gives a call that returns its rows. Pipelined,
        the rows arrive with the answer to whatever is waited for next, so a
        read that is needed later costs no round trip of its own. Otherwise it
        runs at once."""
        if not self._pipelined():
            rows = self.execute(sql, params).all()
            return lambda: rows
        cursor = self._cursor.connection.cursor()
        cursor.execute(self._in_dialect(sql), dict(params))

        def rows() -> list[dict[str, Any]]:
            with cursor:
                return [dict(r) for r in cursor.fetchall()]

        return rows

    def _pipelined(self) -> bool:
        # A pipeline of our own, or the recorder's (the inline views' statements)
        return self._pipeline is not None or (
            self._postgres and self._cursor.connection.pgconn.pipeline_status != PipelineStatus.OFF)

    def raw(self, sql: str, params: Any = (), *, tuples: bool = False) -> list[Any]:
        """Rows of a statement already in the store's own dialect (``%s`` or
        ``?``), unconverted: for the audit tools' hot loops. With ``tuples``,
        rows read by position only; on PostgreSQL no dict is built per row and
        the values come in binary (the same Python values as in text, read at
        about half the CPU: a page of events is mostly bytea, hex-escaped in text)."""
        if tuples and self._postgres:
            with self._cursor.connection.cursor(row_factory=tuple_row) as cursor:
                cursor.execute(sql, params, binary=True)
                progressed()
                return cursor.fetchall()
        self._cursor.execute(sql, params)
        progressed()
        return self._cursor.fetchall()

    def copy_rows(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]],
                  types: Sequence[str] | None = None) -> None:
        """Bulk insert of tuples in ``columns`` order: COPY on PostgreSQL, or,
        pipelined (where COPY is not allowed), inserts sent along with the
        rest; executemany on SQLite. ``types``, the columns' PostgreSQL type
        names (``column_types``), fix each column's dumper for a COPY once
        instead of looking one up for every value: half the CPU of a COPY."""
        if not rows:
            return
        names = ", ".join(columns)
        if self._postgres and not self._pipelined():
            with self._cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                if types is not None:
                    copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
        else:
            mark = "%s" if self._postgres else "?"
            self._cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({', '.join(mark for _ in columns)})",  # noqa: S608
                rows)
        progressed()

    def column_types(self, table: str, columns: Sequence[str]) -> list[str]:
        """PostgreSQL: the type names of ``table``'s ``columns``, as the
        migrations made them, for ``copy_rows``."""
        found = dict(self.raw(
            "SELECT column_name, udt_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s", (table,), tuples=True))
        return [found[column] for column in columns]

    def one(self) -> dict[str, Any] | None:
        row = self._cursor.fetchone()
        return None if row is None else dict(row)

    def all(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._cursor.fetchall()]

    def insert_many(self, table: str, rows: list[dict[str, Any]]) -> None:
        """``copy_rows`` for rows as dicts. ``table`` is one of our fixed names."""
        if not rows:
            return
        columns = tuple(rows[0])
        self.copy_rows(table, columns, [tuple(row[c] for c in columns) for row in rows])

    @property
    def rowcount(self) -> int:
        # The library wraps sqlite3 cursors; psycopg cursors have rowcount themselves.
        return getattr(self._cursor, "sqlite_cursor", self._cursor).rowcount


class Database:
    """The views' database: the event store's own (from ``app``), or another
    datastore of the library's (a staging copy)."""

    def __init__(self, app: Application[Any] | None = None, *, datastore: Any = None) -> None:
        self._datastore = datastore or app.recorder.datastore  # type: ignore[union-attr]
        self.postgres = isinstance(self._datastore, PostgresDatastore)

    @contextmanager
    def transaction(self, *, commit: bool = True) -> Iterator[Transaction]:
        with self._datastore.transaction(commit=commit) as cursor:
            yield Transaction(cursor, self.postgres)

    @contextmanager
    def pipelined(self) -> Iterator[Transaction]:
        """A transaction whose statements go to PostgreSQL without waiting for
        each one's answer (psycopg's pipeline mode): BEGIN, the statements and
        COMMIT cost a round trip or two instead of one each. ``sync`` waits for
        the answers so far; a statement that reads waits for its own. COPY
        is not allowed in it (``insert_many`` inserts instead). On SQLite, a
        plain transaction."""
        if not self.postgres:
            with self.transaction() as tx:
                yield tx
            return
        with self._datastore.get_connection() as conn, conn.pipeline() as pipeline, \
                conn.transaction(), conn.cursor() as cursor:
            yield Transaction(cursor, postgres=True, pipeline=pipeline)

    def read(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """The rows of one statement. On PostgreSQL it runs on its own, outside
        a transaction block: one statement is one snapshot anyway, and the
        block's BEGIN and ROLLBACK were two round trips of the three (the
        library reads events the same way)."""
        def attempt() -> list[dict[str, Any]]:
            if self.postgres:
                with self._datastore.get_connection() as conn, conn.cursor() as cursor:
                    return Transaction(cursor, postgres=True).execute(sql, params).all()
            with self.transaction(commit=False) as tx:
                return tx.execute(sql, params).all()

        if isinstance(self._datastore, BoundedDatastore):
            return self._datastore.retrying(attempt)  # a dead pooled connection, say
        return attempt()

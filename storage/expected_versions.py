"""An append made on condition that the streams its decision read are still
as they were read.

A command may decide on state it did not read from the store just now: the
customer this process kept after its last save, the company's switch as this
process last saw it (domain/basis.py). That is safe only if the append itself
checks it. The caller passes ``expected_versions={stream id: version}`` (the
version each stream had in what was read, 0 for none) to ``insert_events``;
the recorder checks them inside the append's transaction, after its insert and
with the store's write lock held (the exclusive table lock on PostgreSQL,
SQLite's one writer), so nothing can move a stream between the check and the
commit. On PostgreSQL the check is sent in the insert's own round trip.

A stream holds its versions from 1 up, without gaps. After the insert, each
stream must therefore end at its expected version plus the events this insert
added to it, and (unless it was expected empty) still hold its expected
version: the first fails when another writer appended to a stream this insert
did not write (a company whose switch was flipped elsewhere); the second when
the store holds less than was expected (a store restored from a backup while
a process kept its customers in memory). A stream this insert writes that
another writer appended to first already fails on the store's unique key.

Either failure raises ``StreamMoved``, an ``IntegrityError`` as a conflict on the
unique key is (a ``RecordConflictError``): nothing of
the append is committed, and the command runs again on what the store holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent

from domain.basis import EXPECTED_VERSIONS as KEYWORD


class StreamMoved(IntegrityError):
    """A stream the append was conditional on is no longer as it was read."""

    def __init__(self, moved: Sequence[UUID]) -> None:
        super().__init__(f"stream changed since it was read: {', '.join(map(str, moved))}")
        self.moved = tuple(moved)


def of(kwargs: Mapping[str, Any]) -> Mapping[UUID, int]:
    found: Mapping[UUID, int] = kwargs.get(KEYWORD) or {}
    return found


def check_statement(table: str, count: int, *, postgres: bool) -> str:
    """One statement for every stream: its last version, and whether it holds
    the expected one. Two index probes a stream, on the store's own
    (originator_id, originator_version) key."""
    mark = "%s" if postgres else "?"
    cast = ("::uuid", "::int") if postgres else ("", "")
    values = ", ".join(f"({mark}{cast[0]}, {mark}{cast[1]})" for _ in range(count))
    return (
        f"WITH expected (id, version) AS (VALUES {values}) "  # noqa: S608 (our table name)
        f"SELECT expected.id, expected.version, "
        f"(SELECT MAX(originator_version) FROM {table} WHERE originator_id = expected.id), "
        f"EXISTS (SELECT 1 FROM {table} WHERE originator_id = expected.id "
        f"AND originator_version = expected.version) "
        f"FROM expected")


def check_params(expected: Mapping[UUID, int], *, postgres: bool) -> list[Any]:
    params: list[Any] = []
    for stream_id, version in expected.items():
        params += [stream_id if postgres else stream_id.hex, version]
    return params


def verify(rows: Iterable[Sequence[Any]], stored_events: Sequence[StoredEvent]) -> None:
    """Raises StreamMoved unless every stream is as the append expected."""
    added = Counter(event.originator_id for event in stored_events)
    moved = []
    for stream, version, last, holds_expected in rows:
        stream_id = stream if isinstance(stream, UUID) else UUID(stream)
        if (last or 0) != version + added[stream_id] or (version and not holds_expected):
            moved.append(stream_id)
    if moved:
        raise StreamMoved(moved)


def send_check(cursor: Any, table: str, expected: Mapping[UUID, int], *,
               postgres: bool) -> Callable[[], list[Sequence[Any]]]:
    """Sends the check and gives a call that reads its rows: on PostgreSQL,
    pipelined on a cursor of its own, they arrive with the insert's answer;
    on SQLite they are there at once, inside the insert's transaction."""
    cursor.execute(check_statement(table, len(expected), postgres=postgres),
                   check_params(expected, postgres=postgres))
    return lambda: [tuple(row.values()) if isinstance(row, dict) else tuple(row)
                    for row in cursor.fetchall()]

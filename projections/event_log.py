"""The stored events read aggregate by aggregate, for the audit tools (verify,
rebuild): each customer's events together, so a customer can be folded, checked
or written out and then forgotten — memory stays bounded by one page, however
long the log.

The library reads the log in position order (``select_notifications``) or one
aggregate at a time (``select_events``: one round trip per customer). Neither
pages through aggregates, so this reads the library's events table directly,
read-only, with its own column names: ``(originator_id, originator_version)`` is
its primary key on both stores, so keyset pages on it are index scans. Every
read takes ``stop`` (a notification id): events after it are not seen, so a
check or a rebuild describes the log at one position.

Decoding is the mapper's with a faster parser: an event's state is JSON whose
only typed value is, for every cardledger event today, the timestamp.
``orjson.loads`` plus that one conversion gives the same event object as the
mapper (same class, same ``__dict__``, same upcasting); any other state (a
second typed value, a cipher, a compressor) goes through the library's mapper.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import resolve_topic

from projections.database import Transaction

# Columns of a row from EventLog.aggregates, by position.
ID, VERSION, TOPIC, STATE, POSITION = range(5)
_TYPED = b'"_type_"'
_TIMESTAMP_TYPE = "datetime_iso"


class Decoder:
    def __init__(self, app: Application[Any]) -> None:
        self._mapper = app.mapper
        self._plain = self._mapper.cipher is None and self._mapper.compressor is None
        self._classes: dict[str, type] = {}

    def __call__(self, originator_id: UUID, version: int, topic: str, state: bytes) -> Any:
        state = bytes(state)  # psycopg gives memoryview for bytea
        if not self._plain or state.count(_TYPED) != 1:
            return self._mapper.to_domain_event(StoredEvent(originator_id, version, topic, state))
        values = orjson.loads(state)
        stamp = values.get("timestamp")
        if not isinstance(stamp, dict) or stamp.get("_type_") != _TIMESTAMP_TYPE:
            return self._mapper.to_domain_event(StoredEvent(originator_id, version, topic, state))
        values["timestamp"] = datetime.fromisoformat(stamp["_data_"])
        cls = self._classes.get(topic)
        if cls is None:
            cls = self._classes[topic] = resolve_topic(topic)
        values["originator_id"] = originator_id
        values["originator_version"] = version
        # Upcasting, exactly as the library's mapper does it.
        class_version = getattr(cls, "class_version", 1)
        from_version = values.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(values)
            from_version += 1
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", values)
        return event


def events_table(app: Application[Any], *, postgres: bool) -> tuple[str, str]:
    """The events table's name, qualified for SQL, and its position column."""
    recorder: Any = app.recorder
    if postgres:
        return f'"{recorder.datastore.schema}"."{recorder.events_table_name}"', "notification_id"
    return recorder.events_table_name, "rowid"


class EventLog:
    """Pages of the events table inside one of the views' transactions (the
    views and the events live in the same database)."""

    def __init__(self, app: Application[Any], tx: Transaction) -> None:
        self._tx = tx
        self._postgres = tx.postgres
        self._table, self._position = events_table(app, postgres=tx.postgres)
        self.decode = Decoder(app)

    def _rows(self, sql: str, params: Sequence[Any], *, tuples: bool = False) -> list[Any]:
        return self._tx.raw(sql, params, tuples=tuples)

    def _id(self, value: Any) -> UUID:
        return value if isinstance(value, UUID) else UUID(value)

    def _param(self, aggregate_id: UUID) -> Any:
        return aggregate_id if self._postgres else aggregate_id.hex

    def _mark(self) -> str:
        return "%s" if self._postgres else "?"

    def head(self) -> int:
        rows = self._rows(f"SELECT MAX({self._position}) AS head FROM {self._table}", ())  # noqa: S608
        return int(rows[0]["head"] or 0)

    def count_aggregates(self, stop: int) -> int:
        m = self._mark()
        rows = self._rows(f"SELECT COUNT(*) AS n FROM {self._table} "  # noqa: S608
                          f"WHERE originator_version = 1 AND {self._position} <= {m}", (stop,))
        return int(rows[0]["n"])

    def registrations(self, stop: int, page: int = 500) -> Iterator[list[tuple[UUID, Any]]]:
        """Every aggregate created by ``stop``, as (id, its first event), in
        pages of ``page``, in id order."""
        m = self._mark()
        after: Any = None
        while True:
            where = f"originator_version = 1 AND {self._position} <= {m}"
            params: list[Any] = [stop]
            if after is not None:
                where += f" AND originator_id > {m}"
                params.append(after)
            rows = self._rows(
                f"SELECT originator_id, topic, state FROM {self._table} WHERE {where} "  # noqa: S608
                f"ORDER BY originator_id LIMIT {m}", [*params, page])
            if not rows:
                return
            after = rows[-1]["originator_id"]
            yield [(self._id(r["originator_id"]),
                    self.decode(self._id(r["originator_id"]), 1, r["topic"], r["state"]))
                   for r in rows]
            if len(rows) < page:
                return

    def aggregates(self, stop: int, page: int = 5000) -> Iterator[list[tuple[UUID, list[Any]]]]:
        """Every aggregate's stored events up to ``stop``, undecoded, as (id,
        [row of ID, VERSION, TOPIC, STATE, POSITION]), a page of about
        ``page`` events at a time; an aggregate is never split across pages (its
        tail waits for the next page). ``decode`` turns a row into its event."""
        m = self._mark()
        after: tuple[Any, int] | None = None
        carried: list[Any] = []
        while True:
            where = f"{self._position} <= {m}"
            params: list[Any] = [stop]
            if after is not None:
                where += f" AND (originator_id, originator_version) > ({m}, {m})"
                params += list(after)
            rows = self._rows(
                f"SELECT originator_id, originator_version, topic, state, "  # noqa: S608
                f"{self._position} AS position FROM {self._table} WHERE {where} "
                f"ORDER BY originator_id, originator_version LIMIT {m}", [*params, page],
                tuples=True)
            last_page = len(rows) < page
            if rows:
                after = (rows[-1][ID], rows[-1][VERSION])
            rows = carried + rows
            carried = []
            if not last_page:
                # The last aggregate may go on in the next page: hold it back
                # (all of the page, if the page is one aggregate's).
                tail_id = rows[-1][ID]
                cut = len(rows)
                while cut > 0 and rows[cut - 1][ID] == tail_id:
                    cut -= 1
                rows, carried = rows[:cut], rows[cut:]
            if rows:
                yield [(self._id(raw_id), list(group))
                       for raw_id, group in groupby(rows, key=itemgetter(ID))]
            if last_page:
                return

    def existing(self, ids: Sequence[UUID], stop: int) -> set[UUID]:
        """Which of ``ids`` are aggregates created by ``stop``."""
        if not ids:
            return set()
        rows = self._rows(
            f"SELECT originator_id FROM {self._table} WHERE {self._in(len(ids))} "  # noqa: S608
            f"AND originator_version = 1 AND {self._position} <= {self._mark()}",
            [*self._in_params(ids), stop])
        return {self._id(r["originator_id"]) for r in rows}

    def events_of(self, ids: Sequence[UUID], stop: int) -> Iterator[tuple[UUID, list[tuple[Any, int]]]]:
        """Each aggregate's events up to ``stop`` as (event, position), in id
        then version order."""
        if not ids:
            return
        rows = self._rows(
            f"SELECT originator_id, originator_version, topic, state, "  # noqa: S608
            f"{self._position} AS position FROM {self._table} WHERE {self._in(len(ids))} "
            f"AND {self._position} <= {self._mark()} ORDER BY originator_id, originator_version",
            [*self._in_params(ids), stop])
        for raw_id, group in groupby(rows, key=lambda r: r["originator_id"]):
            aggregate_id = self._id(raw_id)
            yield aggregate_id, [
                (self.decode(aggregate_id, r["originator_version"], r["topic"], r["state"]),
                 r["position"]) for r in group]

    def _in(self, n: int) -> str:
        if self._postgres:
            return "originator_id = ANY(%s)"
        return f"originator_id IN ({', '.join('?' * n)})"

    def _in_params(self, ids: Sequence[UUID]) -> list[Any]:
        if self._postgres:
            return [list(ids)]
        return [i.hex for i in ids]

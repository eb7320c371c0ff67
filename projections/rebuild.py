"""Rebuild both views from scratch, at the speed of reading the log.

Set-based: the events are read a page at a time in aggregate order
(event_log.py), each aggregate's rows are folded in memory — the same rows the
projector's statements would leave (read_model.py; a test holds the two
equal) — and the rows are bulk-loaded, COPY on PostgreSQL and executemany on
SQLite, 10,000 at a time. On PostgreSQL reading, folding and copying overlap
(a reader thread, this one, a writer thread). Memory is bounded by a few
pages and batches, whatever the log's length.

Everything happens in ONE transaction: the old rows are deleted, the new ones
loaded and the position set, then one commit. Readers see the old views until
then (MVCC on PostgreSQL, the WAL snapshot on SQLite); an interruption (Ctrl-C,
a crash, a lost connection) rolls it all back, so the views are never half
rebuilt. Building new tables and renaming them in would spare the deletes, but
it is DDL, and the tables' shape belongs to the migrations, not to a repair
tool. The position row is locked first: a projector's next batch waits for the
commit, then finds the position moved and carries on from it.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import Any

import orjson
from eventsourcing.application import Application
from eventsourcing.utils import resolve_topic

from domain.company import Company
from domain.customer import Customer
from projections import autopay_views
from projections.autopay_views import AUTOPAY_VIEW_EVENTS, AutopaySettingsChanged
from projections.database import Transaction
from projections.event_log import POSITION, STATE, TOPIC, VERSION, EventLog
from projections.history import ACTIONS, history_entry
from projections.read_model import NAME, ReadModel
from projections.schema import VIEW_TABLES
from projections.views import iso
from storage.bounded_postgres import progressed

PAGE = 5000  # events read at a time
FLUSH = 10_000  # rows copied at a time: the transaction never sits idle for long
DELETE_PAGES = 1000  # PostgreSQL: 8 MB of rows a DELETE, well within the statement timeout

CUSTOMER_COLUMNS = ("aggregate_id", "company_id", "customer_id", "version", "registered_at",
                    "erased_at")
CARD_COLUMNS = ("card_id", "company_id", "customer_id", "brand", "last4", "exp_month",
                "exp_year", "funding", "is_primary", "added_at", "added_by", "added_from",
                "added_position", "deleted_at")
HISTORY_COLUMNS = ("position", "company_id", "customer_id", "at", "action", "card_id", "brand",
                   "last4", "actor", "source", "detail")
COMPANY_COLUMNS = ("company_id", "online_payments", "version")
COLUMNS = {"cl_customers": CUSTOMER_COLUMNS, "cl_payment_methods": CARD_COLUMNS,
           "cl_history": HISTORY_COLUMNS, "cl_companies": COMPANY_COLUMNS}
Progress = Callable[[int], None]


class _Rows:
    """Rows waiting to be bulk-loaded, per table, and every statement the
    fold makes, run in order on the rebuild's transaction.

    With ``behind`` (PostgreSQL), they run on a thread of their own while the
    fold goes on: the server loads one batch while this process folds the
    next, where the two took turns (a COPY's end waits for the server to
    have loaded every row). That thread is then the only user of the
    connection until ``close``, so a statement never meets a COPY in
    progress. At most two batches wait, so memory stays bounded."""

    def __init__(self, tx: Transaction, *, behind: bool = False) -> None:
        self.tx = tx
        self.pending: dict[str, list[tuple[Any, ...]]] = {table: [] for table in COLUMNS}
        self.types = {table: tx.column_types(table, columns) if tx.postgres else None
                      for table, columns in COLUMNS.items()}
        self._behind = _Behind() if behind else None

    def add(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        waiting = self.pending[table]
        waiting.extend(rows)
        if len(waiting) >= FLUSH:
            self.flush(table)

    def run(self, statements: Callable[[Transaction], None]) -> None:
        """``statements(tx)``, in turn with the copies."""
        if self._behind is None:
            statements(self.tx)
        else:
            self._behind.put(partial(statements, self.tx))

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(COLUMNS):
            batch, self.pending[name] = self.pending[name], []
            if batch:
                self.run(lambda tx, name=name, batch=batch, types=self.types[name]:
                         tx.copy_rows(name, COLUMNS[name], batch, types))

    def __enter__(self) -> _Rows:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        """Waits for everything queued; after an error, for what is running only."""
        if self._behind is not None:
            self._behind.close(abandon=kind is not None)


class _Behind:
    """One thread running queued calls in order; its first error is raised
    to the caller at the next ``put`` or at ``close``, and the rest skipped."""

    def __init__(self) -> None:
        self._calls: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._abandon = False
        # The caller's context (its connection's watchdog, storage/bounded_postgres.py)
        # goes with the calls, so each copy renews the transaction's time budget.
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._work,),
                                        name="rebuild-writer", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while (call := self._calls.get()) is not None:
            if self._error is None and not self._abandon:
                try:
                    call()
                except BaseException as e:  # noqa: BLE001 (raised in the caller's thread)
                    self._error = e

    def put(self, call: Callable[[], None]) -> None:
        self._raise()
        self._calls.put(call)

    def close(self, *, abandon: bool) -> None:
        self._abandon = abandon
        self._calls.put(None)
        self._thread.join()
        if not abandon:
            self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error


def rebuild(app: Application[Any], read_model: ReadModel, *,
            progress: Progress | None = None, fast: bool = True) -> int:
    """Returns the number of events projected. ``fast=False`` decodes every
    event into its object (no stored dict read directly): the same rows,
    slower; the tests hold the two equal, the bench compares their speed."""
    count = 0
    with read_model.db.transaction() as tx:
        tx.execute("UPDATE cl_tracking SET position = position WHERE name = :n", {"n": NAME})
        log = EventLog(app, tx)
        stop = log.head()
        for table in VIEW_TABLES:
            _empty(tx, table)
        folder = _Folder(log, fast=fast)
        pages = _read_ahead(app, read_model, stop) if tx.postgres else log.aggregates(stop, PAGE)
        with _Rows(tx, behind=tx.postgres) as rows:
            for page in pages:
                events = 0
                for aggregate_id, stored in page:
                    folder.fold(aggregate_id, stored, rows)
                    events += len(stored)
                count += events
                if progress:
                    progress(events)
            rows.flush()
        tx.execute("UPDATE cl_tracking SET position = :p WHERE name = :n", {"p": stop, "n": NAME})
    return count


def _read_ahead(app: Application[Any], read_model: ReadModel,
                stop: int) -> Iterator[list[tuple[Any, list[Any]]]]:
    """The pages, read by a thread on a second connection while this one is
    busy copying: the server inserts one page's rows while the next is read.
    (Events up to ``stop`` are committed and never change, so the second
    connection sees exactly what the first would.) PostgreSQL only: the
    library's SQLite pool serialises a reader behind a writer."""
    pages: queue.Queue[Any] = queue.Queue(maxsize=2)
    done = threading.Event()

    def read() -> None:
        try:
            with read_model.db.transaction(commit=False) as tx:
                for page in EventLog(app, tx).aggregates(stop, PAGE):
                    while not done.is_set():
                        try:
                            pages.put(page, timeout=0.1)
                            break
                        except queue.Full:
                            progressed()  # idle by choice, not stalled: keep the watchdog off
                            continue
                    if done.is_set():
                        return
            pages.put(None)
        except BaseException as e:  # noqa: BLE001 (handed to the caller, raised there)
            pages.put(e)

    reader = threading.Thread(target=read, name="rebuild-reader", daemon=True)
    reader.start()
    try:
        while (page := pages.get()) is not None:
            if isinstance(page, BaseException):
                raise page
            yield page
    finally:
        done.set()
        reader.join(timeout=10)


def _empty(tx: Transaction, table: str) -> None:
    """Deletes every row. On PostgreSQL a page range at a time, walked by a
    TID range scan: each DELETE stays well within the statement timeout, and
    none rescans the rows the ones before it deleted (a ``LIMIT`` subquery
    did, so the k-th chunk read k chunks of dead rows first). Rows are only
    ever added after this, so the pages counted first hold them all."""
    if not tx.postgres:
        tx.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
        return
    found = tx.raw("SELECT pg_relation_size(%s) / current_setting('block_size')::int AS pages",
                   (table,))
    pages = int(found[0]["pages"])
    for first in range(0, pages, DELETE_PAGES):
        tx.execute(f"DELETE FROM {table} WHERE ctid >= '({first},0)'::tid "  # noqa: S608
                   f"AND ctid < '({first + DELETE_PAGES},0)'::tid")


class _Folder:
    """Folds one aggregate's stored events into its view rows, exactly as
    ReadModel's statements would leave them (a test holds the two equal).

    Speed comes from touching only what the views need: an event that only
    moves the version (a payment starting, a processor link) is not decoded at
    all; the others are parsed with orjson and read as dicts, and their ISO
    timestamps are kept as text.

    A stored dict is the event only if no upcaster would change it: the
    library's mapper stores the class's ``class_version`` in the state (when
    above 1) and upcasts on read from the stored one to the class's current
    one. So a row stored at its class's current version is read as the dict;
    a row stored at an older one (before chain links, say) is decoded into
    its event object, upcast, and described by the shared history_entry, the
    slow, sure way — as is an event whose history detail is computed (a
    payment's summary), whatever its version."""

    def __init__(self, log: EventLog, *, fast: bool = True) -> None:
        self._decode = log.decode
        self._fast = fast
        self._plans: dict[str, tuple[str, Any]] = {}
        self._versions: dict[str, int] = {}

    def plan(self, topic: str) -> tuple[str, Any]:
        """(what the event does to the views, how its history row is made)."""
        found = self._plans.get(topic)
        if found is None:
            kind, how = _plan(topic)
            if not self._fast and how is not None:
                how = "slow"
            found = self._plans[topic] = (kind, how)
            self._versions[topic] = getattr(resolve_topic(topic), "class_version", 1)
        return found

    def fold(self, aggregate_id: Any, stored: list[Any], rows: _Rows) -> None:
        kind, _ = self.plan(stored[0][TOPIC])
        if kind == "company registered":
            self._company(aggregate_id, stored, rows)
        elif kind == "customer registered":
            self._customer(aggregate_id, stored, rows)

    def _values(self, aggregate_id: Any, row: Any, slow: bool) -> dict[str, Any]:
        """The event's fields; with "_event" (the decoded event object) when
        it took the slow way, which _history then follows too."""
        if not slow and self._fast:
            values = orjson.loads(row[STATE])  # bytes, or a memoryview from psycopg
            # The mapper's rule: no class_version stored means 1.
            if values.pop("class_version", 1) == self._versions[row[TOPIC]]:
                return self._plain(values)
        event = self._decode(aggregate_id, row[VERSION], row[TOPIC], row[STATE])
        values = dict(vars(event))
        values["timestamp"] = iso(event.timestamp)
        values["_event"] = event
        return values

    @staticmethod
    def _plain(values: dict[str, Any]) -> dict[str, Any]:
        stamp = values["timestamp"]["_data_"]
        values["timestamp"] = stamp if len(stamp) == ISO_LENGTH else iso(
            datetime.fromisoformat(stamp))
        return values

    def _history(self, values: dict[str, Any], position: int, how: Any,
                 display: Callable[[str], tuple[str, str] | None]) -> tuple[Any, ...] | None:
        if how is None:
            return None
        if how == "slow" or "_event" in values:
            entry = history_entry(values["_event"], position, display)
            return None if entry is None else tuple(getattr(entry, c) for c in HISTORY_COLUMNS)
        action, card_attr, detail_attr = how
        card_id = values[card_attr] if card_attr else None
        shown = display(card_id) if card_id else None
        return (position, values["company_id"], values.get("customer_id", ""),
                values["timestamp"], action, card_id, shown[0] if shown else None,
                shown[1] if shown else None, values["actor"], values["source"],
                str(values[detail_attr] or "") if detail_attr else "")

    def _company(self, aggregate_id: Any, stored: list[Any], rows: _Rows) -> None:
        company_id, online, version = None, False, 0
        history = []
        for row in stored:
            kind, how = self.plan(row[TOPIC])
            if kind not in ("company registered", "switch on", "switch off", "company setting"):
                continue
            values = self._values(aggregate_id, row, how == "slow")
            company_id = values["company_id"]
            version = row[VERSION]
            if kind != "company registered":
                if kind != "company setting":
                    online = kind == "switch on"
                entry = self._history(values, row[POSITION], how, _no_card)
                if entry is not None:
                    history.append(entry)
        rows.add("cl_companies", [(company_id, online, version)])
        rows.add("cl_history", history)

    def _customer(self, aggregate_id: Any, stored: list[Any], rows: _Rows) -> None:
        first = self._values(aggregate_id, stored[0], self.plan(stored[0][TOPIC])[1] == "slow")
        cards: dict[str, list[Any]] = {}  # card id -> row (a list: columns change)
        history = []
        version = stored[0][VERSION]
        erased_at = None

        def display(card_id: str) -> tuple[str, str] | None:
            card = cards.get(card_id)
            return (card[BRAND], card[LAST4]) if card else None

        for row in stored[1:]:
            kind, how = self.plan(row[TOPIC])
            if kind == "other":
                continue
            version = row[VERSION]
            if kind == "version only":
                continue
            values = self._values(aggregate_id, row, how == "slow" or kind == "autopay")
            if kind == "erased":
                erased_at = values["timestamp"]
            if kind == "autopay":
                # Autopay's two small tables take the projector's own statements:
                # their events are few, and one set of rules for them is kept.
                rows.run(partial(autopay_views.apply, values["_event"]))
            _change_cards(cards, kind, values, row[POSITION])
            entry = self._history(values, row[POSITION], how, display)
            if entry is not None:
                history.append(entry)
        rows.add("cl_customers", [(aggregate_id.hex, first["company_id"], first["customer_id"],
                                   version, first["timestamp"], erased_at)])
        rows.add("cl_payment_methods", [tuple(card) for card in cards.values()])
        rows.add("cl_history", history)


ISO_LENGTH = len("2026-11-25T12:00:00.000000+00:00")  # iso()'s fixed width
_CARD = {name: i for i, name in enumerate(CARD_COLUMNS)}
BRAND, LAST4, PRIMARY = _CARD["brand"], _CARD["last4"], _CARD["is_primary"]
CARD_KINDS = {Customer.CardAdded: "card added", Customer.PrimaryChanged: "primary changed",
              Customer.CardDeleted: "card deleted", Customer.CardUpdated: "card updated"}


def _plan(topic: str) -> tuple[str, Any]:
    cls = resolve_topic(topic)
    action = ACTIONS.get(cls)
    # Plain fields can be read from the stored dict (when stored at the
    # class's current version: _Folder._values checks each row); a computed
    # detail needs the event object.
    plain = action is None or action[2] is None or any(
        action[2] in getattr(c, "__annotations__", {}) for c in cls.__mro__)
    how: Any = (action if plain else "slow") if action else None
    if issubclass(cls, Company.Registered):
        return "company registered", None if plain else "slow"
    if issubclass(cls, Company.OnlinePaymentsEnabled):
        return "switch on", how
    if issubclass(cls, Company.OnlinePaymentsDisabled):
        return "switch off", how
    if issubclass(cls, AutopaySettingsChanged):
        return "company setting", "slow" if action else None
    if issubclass(cls, Customer.Registered):
        return "customer registered", None if plain else "slow"
    if issubclass(cls, Customer.Erased):
        return "erased", how
    if issubclass(cls, AUTOPAY_VIEW_EVENTS):
        return "autopay", "slow" if action else None
    if not issubclass(cls, Customer.Event):
        return "other", None
    kind = next((k for c, k in CARD_KINDS.items() if issubclass(cls, c)), None)
    if kind is None and action is None:
        return "version only", None
    if kind is not None and not plain:
        how = "slow"
    return kind or "history only", how


def _no_card(card_id: str) -> None:
    return None


def _change_cards(cards: dict[str, list[Any]], kind: str, e: dict[str, Any],
                  position: int) -> None:
    if kind == "card added":
        cards[e["card_id"]] = [
            e["card_id"], e["company_id"], e["customer_id"], e["brand"], e["last4"],
            e["exp_month"], e["exp_year"], e["funding"], False, e["timestamp"], e["actor"],
            e["source"], position, None]
    elif kind == "primary changed":
        to = e["to_card_id"]
        for card_id, card in cards.items():
            if card[PRIMARY] or card_id == to:
                card[PRIMARY] = card_id == to
    elif kind == "card deleted":
        if (card := cards.get(e["card_id"])) is not None:
            card[_CARD["deleted_at"]] = e["timestamp"]
            card[PRIMARY] = False
    elif kind == "card updated" and (card := cards.get(e["card_id"])) is not None:
        card[LAST4] = e["last4"]
        card[_CARD["exp_month"]] = e["exp_month"]
        card[_CARD["exp_year"]] = e["exp_year"]

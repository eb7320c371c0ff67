"""Rebuild both views from scratch, at the speed of reading the log.

Set-based: the events are read a page at a time in aggregate order
(event_log.py), each aggregate's rows are folded in memory — the same rows the
projector's statements would leave (read_model.py; a test holds the two
equal) — and the rows are bulk-loaded, COPY on PostgreSQL and executemany on
SQLite, 10,000 at a time. Memory is one page and one buffer.

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

import queue
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
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
from projections.views import iso
from storage.bounded_postgres import progressed

PAGE = 5000  # events read at a time
FLUSH = 10_000  # rows copied at a time: the transaction never sits idle for long
DELETE_CHUNK = 50_000  # PostgreSQL: each DELETE well within the statement timeout

CUSTOMER_COLUMNS = ("aggregate_id", "company_id", "customer_id", "version", "registered_at",
                    "erased_at")
CARD_COLUMNS = ("card_id", "company_id", "customer_id", "brand", "last4", "exp_month",
                "exp_year", "funding", "is_primary", "added_at", "added_by", "added_from",
                "added_position", "deleted_at")
HISTORY_COLUMNS = ("position", "company_id", "customer_id", "at", "action", "card_id", "brand",
                   "last4", "actor", "source", "detail")
COMPANY_COLUMNS = ("company_id", "online_payments", "version")
KEYS = {"cl_customers": "aggregate_id", "cl_payment_methods": "card_id",
        "cl_history": "position", "cl_companies": "company_id",
        "cl_autopay": "customer_id", "cl_autopay_due": "charge_id"}
COLUMNS = {"cl_customers": CUSTOMER_COLUMNS, "cl_payment_methods": CARD_COLUMNS,
           "cl_history": HISTORY_COLUMNS, "cl_companies": COMPANY_COLUMNS}
Progress = Callable[[int], None]


class _Rows:
    """Rows waiting to be bulk-loaded, per table."""

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx
        self.pending: dict[str, list[tuple[Any, ...]]] = {table: [] for table in COLUMNS}

    def add(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        waiting = self.pending[table]
        waiting.extend(rows)
        if len(waiting) >= FLUSH:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(COLUMNS):
            self.tx.copy_rows(name, COLUMNS[name], self.pending[name])
            self.pending[name] = []


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
        for table in (*COLUMNS, *autopay_views.VIEW_TABLES):
            _empty(tx, table)
        rows = _Rows(tx)
        folder = _Folder(log, fast=fast)
        pages = _read_ahead(app, read_model, stop) if tx.postgres else log.aggregates(stop, PAGE)
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
    if not tx.postgres:
        tx.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
        return
    key = KEYS[table]
    while tx.execute(f"DELETE FROM {table} WHERE {key} IN "  # noqa: S608
                     f"(SELECT {key} FROM {table} LIMIT {DELETE_CHUNK})").rowcount:
        pass


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
                autopay_views.apply(values["_event"], rows.tx)
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

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

from collections.abc import Callable
from typing import Any

from eventsourcing.application import Application

from domain.company import Company
from domain.customer import Customer
from projections import autopay_views
from projections.database import Transaction
from projections.event_log import EventLog
from projections.history import history_entry
from projections.read_model import NAME, ReadModel
from projections.views import iso

PAGE = 5000  # events read at a time
FLUSH = 10_000  # rows copied at a time: the transaction never sits idle for long
DELETE_CHUNK = 50_000  # PostgreSQL: each DELETE well within the statement timeout

CUSTOMER_COLUMNS = ("aggregate_id", "company_id", "customer_id", "version", "registered_at")
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
_CARD = {name: i for i, name in enumerate(CARD_COLUMNS)}

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
            progress: Progress | None = None) -> int:
    """Returns the number of events projected."""
    count = 0
    with read_model.db.transaction() as tx:
        tx.execute("UPDATE cl_tracking SET position = position WHERE name = :n", {"n": NAME})
        log = EventLog(app, tx)
        stop = log.head()
        for table in (*COLUMNS, *autopay_views.VIEW_TABLES):
            _empty(tx, table)
        rows = _Rows(tx)
        for page in log.aggregates(stop, PAGE):
            events = 0
            for _aggregate_id, history in page:
                _fold(history, rows)
                events += len(history)
            count += events
            if progress:
                progress(events)
        rows.flush()
        tx.execute("UPDATE cl_tracking SET position = :p WHERE name = :n", {"p": stop, "n": NAME})
    return count


def _empty(tx: Transaction, table: str) -> None:
    if not tx.postgres:
        tx.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
        return
    key = KEYS[table]
    while tx.execute(f"DELETE FROM {table} WHERE {key} IN "  # noqa: S608
                     f"(SELECT {key} FROM {table} LIMIT {DELETE_CHUNK})").rowcount:
        pass


def _fold(events: list[tuple[Any, int]], rows: _Rows) -> None:
    """One aggregate's rows, exactly as ReadModel's statements leave them."""
    first = events[0][0]
    if isinstance(first, Company.Registered):
        _fold_company(events, rows)
    elif isinstance(first, Customer.Registered):
        _fold_customer(events, rows)


def _fold_company(events: list[tuple[Any, int]], rows: _Rows) -> None:
    online, version = False, 0
    history = []
    for event, position in events:
        if isinstance(event, Company.Registered):
            version = event.originator_version
        elif isinstance(event, Company.OnlinePaymentsEnabled | Company.OnlinePaymentsDisabled
                        | autopay_views.AutopaySettingsChanged):
            if not isinstance(event, autopay_views.AutopaySettingsChanged):
                online = isinstance(event, Company.OnlinePaymentsEnabled)
            version = event.originator_version
            entry = history_entry(event, position, _no_card)
            if entry is not None:
                history.append(_history_row(entry))
    rows.add("cl_companies", [(events[0][0].company_id, online, version)])
    rows.add("cl_history", history)


def _no_card(card_id: str) -> None:
    return None


def _fold_customer(events: list[tuple[Any, int]], rows: _Rows) -> None:
    registered = events[0][0]
    cards: dict[str, list[Any]] = {}  # card id -> row (a list: columns change)
    history = []
    version = registered.originator_version

    def display(card_id: str) -> tuple[str, str] | None:
        card = cards.get(card_id)
        return (card[_CARD["brand"]], card[_CARD["last4"]]) if card else None

    for event, position in events[1:]:
        if not isinstance(event, Customer.Event):
            continue
        # Autopay's two small tables take the projector's own statements: their
        # events are few, and one set of rules for them is kept, not two.
        autopay_views.apply(event, rows.tx)
        _change_cards(cards, event, position)
        version = event.originator_version
        entry = history_entry(event, position, display)
        if entry is not None:
            history.append(_history_row(entry))
    rows.add("cl_customers", [(registered.originator_id.hex, registered.company_id,
                               registered.customer_id, version, iso(registered.timestamp))])
    rows.add("cl_payment_methods", [tuple(card) for card in cards.values()])
    rows.add("cl_history", history)


def _change_cards(cards: dict[str, list[Any]], event: Any, position: int) -> None:
    if isinstance(event, Customer.CardAdded):
        cards[event.card_id] = [
            event.card_id, event.company_id, event.customer_id, event.brand, event.last4,
            event.exp_month, event.exp_year, event.funding, False, iso(event.timestamp),
            event.actor, event.source, position, None]
    elif isinstance(event, Customer.PrimaryChanged):
        primary = _CARD["is_primary"]
        for card_id, card in cards.items():
            if card[primary] or card_id == event.to_card_id:
                card[primary] = card_id == event.to_card_id
    elif isinstance(event, Customer.CardDeleted):
        if (card := cards.get(event.card_id)) is not None:
            card[_CARD["deleted_at"]] = iso(event.timestamp)
            card[_CARD["is_primary"]] = False
    elif isinstance(event, Customer.CardUpdated):
        if (card := cards.get(event.card_id)) is not None:
            card[_CARD["last4"]] = event.last4
            card[_CARD["exp_month"]] = event.exp_month
            card[_CARD["exp_year"]] = event.exp_year


def _history_row(entry: Any) -> tuple[Any, ...]:
    return (entry.position, entry.company_id, entry.customer_id, entry.at, entry.action,
            entry.card_id, entry.brand, entry.last4, entry.actor, entry.source, entry.detail)

"""The auditors' consistency check: every aggregate's events, replayed by the
domain itself, against every column of every row of the views (deleted cards'
rows included), at the views' position.

It streams: aggregates are taken a page at a time in id order (see
event_log.py), each page's events folded and its view rows fetched and
compared, then dropped — memory is one page, not the log. Everything is read in
one snapshot (REPEATABLE READ on PostgreSQL, one read transaction on SQLite), so
a projector running meanwhile cannot make a row look wrong.

Rows are matched by their key (a customer's aggregate id, a card id, a history
position, a company id), so a changed column is named with both values. Three
more passes find what no event explains: view customers and companies without
events, and card or history rows whose customer or company is not in the views.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import asdict, dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from domain.autopay import autopay_of
from domain.company import Company
from domain.customer import Customer
from domain.ids import check_external_id, company_aggregate_id, customer_aggregate_id
from projections.database import Transaction
from projections.event_log import EventLog
from projections.history import history_entry
from projections.read_model import NAME, ReadModel
from projections.replay import replay_customer
from projections.views import cards_of, iso
from storage.bounded_postgres import progressed

PAGE = 200  # aggregates compared at a time
CARD_COLUMNS = ("card_id", "company_id", "customer_id", "brand", "last4", "exp_month",
                "exp_year", "funding", "is_primary", "added_at", "added_by", "added_from",
                "added_position", "deleted_at")
BOOLEAN_COLUMNS = frozenset({"is_primary", "online_payments"})
ROW_NAMES = {"cl_payment_methods": "card", "cl_history": "history at"}


@dataclass(frozen=True)
class Scope:
    """All of the views, one company's part (its customers, its row and its
    switches), or one customer's."""

    company: str | None = None
    customer: str | None = None

    def __post_init__(self) -> None:
        if self.customer is not None and self.company is None:
            raise ValueError("a customer is checked within its company: give the company too")
        if self.company is not None:
            check_external_id(self.company, "company id")
        if self.customer is not None:
            check_external_id(self.customer, "customer id")

    def covers(self, company_id: str, customer_id: str | None) -> bool:
        return ((self.company is None or company_id == self.company)
                and (self.customer is None or customer_id == self.customer))


@dataclass(frozen=True)
class Difference:
    """One field of one row that differs, or a row on one side only
    (``kind`` missing: in the replay, not the view; extra: the other way)."""

    table: str
    company: str
    customer: str | None  # None for a company's own rows
    key: str  # the row's key column
    key_value: Any
    field: str
    view: Any
    replay: Any
    kind: str = "differs"

    def __str__(self) -> str:
        subject = (f"customer {self.company}/{self.customer}" if self.customer is not None
                   else f"company {self.company}")
        row = ROW_NAMES.get(self.table)
        where = f"{subject} {row} {self.key_value}" if row else subject
        if self.kind == "missing":
            return f"{where}: missing from {self.table} ({self.key}={self.key_value!r} in the events)"
        if self.kind == "extra":
            return (f"{where}: {self.table} row with {self.key}={self.key_value!r} "
                    "that no event explains")
        return f"{where}: {self.field} view={self.view!r} replay={self.replay!r}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Expected:
    """What the views must hold for one aggregate, from its events."""

    company_id: str
    customer_id: str | None
    own_row: dict[str, Any]
    cards: dict[str, dict[str, Any]]
    history: dict[int, dict[str, Any]]
    # Autopay's row as (enabled, card id); a customer never enrolled has no row,
    # which reads as (False, None).
    autopay: tuple[bool, str | None] = (False, None)


Progress = Callable[[int], None]


@dataclass
class Summary:
    """Filled in as a check runs: the views' position it checked at, and how
    many aggregates it replayed."""

    position: int = 0
    aggregates: int = 0


def verify(app: Application[Any], read_model: ReadModel) -> list[str]:
    """Every difference as a readable line; [] when the views are right."""
    return [str(d) for d in differences(app, read_model)]


def count_aggregates(app: Application[Any], read_model: ReadModel, scope: Scope) -> int:
    """How many aggregates a check of ``scope`` replays (for a progress bar)."""
    if scope.customer is not None:
        return 1
    with read_model.db.transaction(commit=False) as tx:
        if scope.company is not None:
            row = tx.execute("SELECT COUNT(*) AS n FROM cl_customers WHERE company_id = :co",
                             {"co": scope.company}).one()
            return int(row["n"]) + 1 if row else 1
        return EventLog(app, tx).count_aggregates(_position(tx))


def differences(app: Application[Any], read_model: ReadModel, scope: Scope = Scope(),  # noqa: B008
                progress: Progress | None = None,
                summary: Summary | None = None) -> Iterator[Difference]:
    summary = summary if summary is not None else Summary()
    with read_model.db.transaction(commit=False) as tx:
        if tx.postgres:
            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        log = EventLog(app, tx)
        stop = summary.position = _position(tx)
        for page in _pages(log, stop, scope):
            summary.aggregates += yield from _compare_page(tx, log, page, stop)
            if progress:
                progress(len(page))
        yield from _unexplained_customers(tx, log, stop, scope)
        yield from _unexplained_companies(tx, log, stop, scope)
        yield from _orphans(tx, scope)


def _position(tx: Transaction) -> int:
    row = tx.execute("SELECT position FROM cl_tracking WHERE name = :n", {"n": NAME}).one()
    return int(row["position"]) if row else 0


def _pages(log: EventLog, stop: int, scope: Scope) -> Iterator[list[UUID]]:
    if scope.customer is not None:
        assert scope.company is not None
        yield [customer_aggregate_id(scope.company, scope.customer)]
        return
    for registrations in log.registrations(stop, PAGE):
        yield [aggregate_id for aggregate_id, first in registrations
               if scope.covers(first.company_id, getattr(first, "customer_id", None))]


# --- one page of aggregates -------------------------------------------------------------

def _compare_page(tx: Transaction, log: EventLog, ids: list[UUID],
                  stop: int) -> Generator[Difference, None, int]:
    """Yields the differences; returns how many aggregates it replayed."""
    expected = {aggregate_id: _replay(events) for aggregate_id, events in log.events_of(ids, stop)}
    expected = {k: v for k, v in expected.items() if v is not None}
    customers = [e for e in expected.values() if e.customer_id is not None]
    companies = [e for e in expected.values() if e.customer_id is None]
    yield from _compare_rows(
        "cl_customers", "aggregate_id",
        {e.own_row["aggregate_id"]: e for e in customers},
        _rows_in(tx, "cl_customers", "aggregate_id", [e.own_row["aggregate_id"] for e in customers]),
        lambda e: {e.own_row["aggregate_id"]: e.own_row})
    yield from _compare_rows(
        "cl_companies", "company_id", {e.company_id: e for e in companies},
        _rows_in(tx, "cl_companies", "company_id", [e.company_id for e in companies]),
        lambda e: {e.company_id: e.own_row})
    owners = [(e.company_id, e.customer_id or "") for e in expected.values()]
    for table, key, rows_of in (("cl_payment_methods", "card_id", lambda e: e.cards),
                                ("cl_history", "position", lambda e: e.history)):
        by_owner = _rows_of_owners(tx, table, [o for o in owners if table != "cl_payment_methods"
                                               or o[1]])
        wanted = {k: e for e in expected.values() for k in rows_of(e)}
        stray = [k for k in wanted if k not in by_owner]  # moved to another owner, or gone
        by_owner.update(_rows_in(tx, table, key, stray))
        yield from _compare_rows(table, key, wanted, by_owner, rows_of)
    yield from _compare_autopay(tx, customers)
    return len(expected)


def _compare_autopay(tx: Transaction, customers: list[Expected]) -> Iterator[Difference]:
    """Each customer's autopay row against its replay (no row reads as off)."""
    owners = [(e.company_id, e.customer_id or "") for e in customers]
    rows = {(r["company_id"], r["customer_id"]): r for r in _owned_rows(tx, "cl_autopay", owners)}
    for e in customers:
        row = rows.get((e.company_id, e.customer_id))
        seen = (bool(row["enabled"]), row["card_id"]) if row else (False, None)
        for column, view, replay in zip(("enabled", "card_id"), seen, e.autopay, strict=True):
            if view != replay:
                yield Difference("cl_autopay", e.company_id, e.customer_id, "customer_id",
                                 e.customer_id, column, view, replay)


def _compare_rows(table: str, key: str, wanted: dict[Any, Expected], actual: dict[Any, dict[str, Any]],
                  rows_of: Callable[[Expected], dict[Any, dict[str, Any]]]) -> Iterator[Difference]:
    for key_value in sorted(wanted.keys() | actual.keys()):  # one type per table
        owner = wanted.get(key_value)
        want = rows_of(owner)[key_value] if owner else None
        got = actual.get(key_value)
        if owner is None:
            assert got is not None
            yield _extra(table, key, got)
        elif got is None:
            yield Difference(table, owner.company_id, owner.customer_id, key, key_value, key,
                             None, key_value, "missing")
        else:
            for column, value in want.items():
                seen = bool(got[column]) if column in BOOLEAN_COLUMNS else got[column]
                if seen != value:
                    yield Difference(table, owner.company_id, owner.customer_id, key, key_value,
                                     column, seen, value)


def _rows_in(tx: Transaction, table: str, key: str, values: list[Any]) -> dict[Any, dict[str, Any]]:
    if not values:
        return {}
    params = {f"k{i}": v for i, v in enumerate(values)}
    marks = ", ".join(f":{p}" for p in params)
    rows = tx.execute(f"SELECT * FROM {table} WHERE {key} IN ({marks})", params).all()  # noqa: S608
    return {r[key]: r for r in rows}


def _rows_of_owners(tx: Transaction, table: str,
                    owners: list[tuple[str, str]]) -> dict[Any, dict[str, Any]]:
    """The rows of these (company, customer) pairs by their key; customer '' is
    the company's own."""
    key = "card_id" if table == "cl_payment_methods" else "position"
    return {r[key]: r for r in _owned_rows(tx, table, owners)}


def _owned_rows(tx: Transaction, table: str,
                owners: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """One query for the rows of all these (company, customer) pairs."""
    if not owners:
        return []
    params: dict[str, Any] = {}
    pairs = []
    for i, (company, customer) in enumerate(owners):
        params[f"o{i}"], params[f"u{i}"] = company, customer
        pairs.append(f"(:o{i}, :u{i})")
    return tx.execute(f"SELECT * FROM {table} WHERE (company_id, customer_id) IN "  # noqa: S608
                      f"(VALUES {', '.join(pairs)})", params).all()


# --- replay of one aggregate ------------------------------------------------------------

def _replay(events: list[tuple[Any, int]]) -> Expected | None:
    aggregate: Any = None
    cards: dict[str, dict[str, Any]] = {}  # every card ever added, deleted ones too
    history: dict[int, dict[str, Any]] = {}

    def display(card_id: str) -> tuple[str, str] | None:
        card = cards.get(card_id)
        return (card["brand"], card["last4"]) if card else None

    progressed()  # a long replay between two statements is work, not a stalled server
    for event, position in events:
        aggregate = event.mutate(aggregate)
        _track_card(cards, event, position)
        entry = history_entry(event, position, display)
        if entry is not None:
            history[position] = dict(vars(entry))
    if isinstance(aggregate, Customer):
        for view in cards_of(aggregate):  # the live cards as the domain holds them
            cards[view.id].update(brand=view.brand, last4=view.last4, exp_month=view.exp_month,
                                  exp_year=view.exp_year, funding=view.funding,
                                  is_primary=view.is_primary, added_at=view.added_at,
                                  added_by=view.added_by, added_from=view.added_from)
        autopay = autopay_of(aggregate)
        return Expected(aggregate.company_id, aggregate.customer_id, {
            "aggregate_id": aggregate.id.hex, "company_id": aggregate.company_id,
            "customer_id": aggregate.customer_id, "version": aggregate.version,
            "registered_at": iso(aggregate.created_on),
            "erased_at": iso(aggregate.erased_at) if aggregate.erased_at else None},
            cards, history,
            (autopay.enabled, autopay.card_id))
    if isinstance(aggregate, Company):
        return Expected(aggregate.company_id, None, {
            "company_id": aggregate.company_id, "online_payments": aggregate.online_payments,
            "version": aggregate.version}, {}, history)
    return None


def _track_card(cards: dict[str, dict[str, Any]], event: Any, position: int) -> None:
    if isinstance(event, Customer.CardAdded):
        cards[event.card_id] = {
            "card_id": event.card_id, "company_id": event.company_id,
            "customer_id": event.customer_id, "brand": event.brand, "last4": event.last4,
            "exp_month": event.exp_month, "exp_year": event.exp_year, "funding": event.funding,
            "is_primary": False, "added_at": iso(event.timestamp), "added_by": event.actor,
            "added_from": event.source, "added_position": position, "deleted_at": None}
    elif isinstance(event, Customer.CardUpdated) and event.card_id in cards:
        cards[event.card_id].update(last4=event.last4, exp_month=event.exp_month,
                                    exp_year=event.exp_year)
    elif isinstance(event, Customer.CardDeleted) and event.card_id in cards:
        cards[event.card_id].update(deleted_at=iso(event.timestamp), is_primary=False)


# --- what no event explains -------------------------------------------------------------

def _keyset(tx: Transaction, sql: str, key: str, params: dict[str, Any],
            page: int = 1000) -> Iterator[list[dict[str, Any]]]:
    """Pages of ``sql`` (a SELECT with a WHERE) in ``key`` order."""
    after: Any = None
    while True:
        clause = f" AND {key} > :after" if after is not None else ""
        rows = tx.execute(f"{sql}{clause} ORDER BY {key} LIMIT {page}",
                          {**params, "after": after}).all()
        if not rows:
            return
        yield rows
        after = rows[-1][key.split(".")[-1]]


def _scope_sql(scope: Scope, alias: str = "") -> tuple[str, dict[str, Any]]:
    prefix = f"{alias}." if alias else ""
    sql, params = "1=1", {}
    if scope.company is not None:
        sql += f" AND {prefix}company_id = :scope_co"
        params["scope_co"] = scope.company
    if scope.customer is not None:
        sql += f" AND {prefix}customer_id = :scope_cu"
        params["scope_cu"] = scope.customer
    return sql, params


def _unexplained_customers(tx: Transaction, log: EventLog, stop: int,
                           scope: Scope) -> Iterator[Difference]:
    where, params = _scope_sql(scope)
    for rows in _keyset(tx, f"SELECT * FROM cl_customers WHERE {where}", "aggregate_id", params):
        ids: dict[UUID, dict[str, Any]] = {}
        for row in rows:
            try:
                ids[UUID(row["aggregate_id"])] = row
            except ValueError:
                yield _extra("cl_customers", "aggregate_id", row)
        known = log.existing(list(ids), stop)
        for aggregate_id, row in ids.items():
            if aggregate_id not in known:
                yield _extra("cl_customers", "aggregate_id", row)


def _unexplained_companies(tx: Transaction, log: EventLog, stop: int,
                           scope: Scope) -> Iterator[Difference]:
    if scope.customer is not None:
        return
    where, params = _scope_sql(scope)
    for rows in _keyset(tx, f"SELECT * FROM cl_companies WHERE {where}", "company_id", params):
        ids = {company_aggregate_id(row["company_id"]): row for row in rows}
        known = log.existing(list(ids), stop)
        for aggregate_id, row in ids.items():
            if aggregate_id not in known:
                yield _extra("cl_companies", "company_id", row)


def _orphans(tx: Transaction, scope: Scope) -> Iterator[Difference]:
    where, params = _scope_sql(scope, "r")
    customer_missing = ("NOT EXISTS (SELECT 1 FROM cl_customers c WHERE "
                        "c.company_id = r.company_id AND c.customer_id = r.customer_id)")
    company_missing = ("NOT EXISTS (SELECT 1 FROM cl_companies c WHERE "
                       "c.company_id = r.company_id)")
    queries = [
        ("cl_payment_methods", "card_id", customer_missing),
        ("cl_autopay", "customer_id", customer_missing),
        ("cl_history", "position",
         f"((r.customer_id <> '' AND {customer_missing}) "
         f"OR (r.customer_id = '' AND {company_missing}))"),
    ]
    for table, key, condition in queries:
        sql = f"SELECT r.* FROM {table} r WHERE {where} AND {condition}"  # noqa: S608
        for rows in _keyset(tx, sql, f"r.{key}", params):
            for row in rows:
                yield _extra(table, key, row)


def _extra(table: str, key: str, row: dict[str, Any]) -> Difference:
    customer = row.get("customer_id")
    return Difference(table, row["company_id"],
                      None if table == "cl_companies" or customer == "" else customer,
                      key, row[key], key, row[key], None, "extra")


def verify_customer(app: Application[Any], read_model: ReadModel, company_id: str,
                    customer_id: str) -> tuple[int, list[str]]:
    """One customer (the API's /verification): its version from a replay of its
    events, and every difference between that replay and its rows in the views.
    The caller brings the views up to date first."""
    version = replay_customer(app, company_id, customer_id).version
    return version, [str(d) for d in differences(app, read_model,
                                                 Scope(company_id, customer_id))]

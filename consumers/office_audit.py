"""`cardledger office-verify`: does an office read model (office_read_model.py,
built only from Kafka) hold what cardledger's own views hold?

For operators after an incident, a new consumer or a replayed topic. Both sides
are read a page at a time by key (customers by aggregate id, cards by card id,
history by position), every column compared; then cardledger's rows are paged
again to find those the office lacks. Memory is one page. The office only
converges: run it when `cardledger relay-lag` says 0 and the consumer has
caught up, or a customer still in flight shows as a difference.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from projections.database import Database

PAGE = 1000


@dataclass(frozen=True)
class Table:
    what: str  # how a row is named in a line: "card", "history at", "customer"
    office_sql: str  # every row of the office's table; its key aliased "key"
    key: str  # cardledger's key column
    cardledger: str  # cardledger's table
    columns: tuple[str, ...]  # compared (office and cardledger use the same names)
    booleans: tuple[str, ...] = ()


TABLES = (
    Table("customer",
          "SELECT c.aggregate_id AS key, c.company_id, c.customer_id, c.registered_at, "
          "a.version FROM office_customers c LEFT JOIN office_aggregates a "
          "ON a.aggregate_id = c.aggregate_id",
          "aggregate_id", "cl_customers",
          ("company_id", "customer_id", "registered_at", "version")),
    Table("card", "SELECT card_id AS key, * FROM office_payment_methods", "card_id",
          "cl_payment_methods",
          ("company_id", "customer_id", "brand", "last4", "exp_month", "exp_year", "funding",
           "is_primary", "added_at", "added_by", "added_from", "added_position", "deleted_at"),
          ("is_primary",)),
    Table("history at", "SELECT position AS key, * FROM office_history", "position",
          "cl_history",
          ("company_id", "customer_id", "at", "action", "card_id", "brand", "last4", "actor",
           "source", "detail")),
)


@dataclass(frozen=True)
class OfficeDifference:
    what: str
    key: Any
    company: str
    customer: str
    field: str | None  # None: the row is on one side only
    office: Any
    cardledger: Any

    def __str__(self) -> str:
        who = f"customer {self.company}/{self.customer}" if self.customer else f"company {self.company}"
        where = f"{who} {self.what} {self.key}" if self.what != "customer" else who
        if self.field is None:
            side = "office" if self.cardledger is None else "cardledger"
            return f"{where}: only in {side}'s views"
        return f"{where}: {self.field} office={self.office!r} cardledger={self.cardledger!r}"


class MissingOfficeModel(FileNotFoundError):
    """No office read model where one was expected."""


def open_office(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise MissingOfficeModel(f"no office read model at {path}")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def office_differences(office: sqlite3.Connection, views: Database,
                       progress: Callable[[int], None] | None = None) -> Iterator[OfficeDifference]:
    for table in TABLES:
        yield from _office_side(office, views, table, progress)
        yield from _cardledger_side(office, views, table, progress)


def _normal(table: Table, key: Any) -> Any:
    # The office keeps an aggregate id as the envelope writes it (with dashes).
    return UUID(str(key)).hex if table.what == "customer" else key


def _office_side(office: sqlite3.Connection, views: Database, table: Table,
                 progress: Callable[[int], None] | None) -> Iterator[OfficeDifference]:
    after: Any = None
    while True:
        where = "WHERE key > ?" if after is not None else ""
        rows = office.execute(f"SELECT * FROM ({table.office_sql}) {where} "  # noqa: S608
                              f"ORDER BY key LIMIT {PAGE}",
                              () if after is None else (after,)).fetchall()
        if not rows:
            return
        after = rows[-1]["key"]
        ours = _cardledger_rows(views, table, [_normal(table, r["key"]) for r in rows])
        for row in rows:
            key = _normal(table, row["key"])
            mine = ours.get(key)
            if mine is None:
                yield OfficeDifference(table.what, key, row["company_id"], row["customer_id"],
                                       None, key, None)
                continue
            for column in table.columns:
                theirs, held = row[column], mine[column]
                if column in table.booleans:
                    theirs, held = bool(theirs), bool(held)
                if theirs != held:
                    yield OfficeDifference(table.what, key, mine["company_id"],
                                           mine["customer_id"], column, theirs, held)
        if progress:
            progress(len(rows))


def _cardledger_side(office: sqlite3.Connection, views: Database, table: Table,
                     progress: Callable[[int], None] | None) -> Iterator[OfficeDifference]:
    """cardledger's rows the office does not have."""
    after: Any = None
    while True:
        clause = f"WHERE {table.key} > :after " if after is not None else ""
        rows = views.read(f"SELECT * FROM {table.cardledger} {clause}"  # noqa: S608
                          f"ORDER BY {table.key} LIMIT {PAGE}", {"after": after})
        if not rows:
            return
        after = rows[-1][table.key]
        keys = [r[table.key] for r in rows]
        office_keys = keys if table.what != "customer" else [_dashed(k) for k in keys]
        marks = ", ".join("?" for _ in office_keys)
        found = {_normal(table, r["key"]) for r in office.execute(
            f"SELECT key FROM ({table.office_sql}) WHERE key IN ({marks})",  # noqa: S608
            office_keys)}
        for row in rows:
            if row[table.key] not in found:
                yield OfficeDifference(table.what, row[table.key], row["company_id"],
                                       row["customer_id"], None, None, row[table.key])
        if progress:
            progress(len(rows))


def _dashed(aggregate_id: str) -> str:
    try:
        return str(UUID(aggregate_id))
    except ValueError:  # not an aggregate id at all: the office cannot have it
        return aggregate_id


def _cardledger_rows(views: Database, table: Table, keys: list[Any]) -> dict[Any, dict[str, Any]]:
    params = {f"k{i}": k for i, k in enumerate(keys)}
    marks = ", ".join(f":{p}" for p in params)
    rows = views.read(f"SELECT * FROM {table.cardledger} WHERE {table.key} IN ({marks})",  # noqa: S608
                      params)
    return {r[table.key]: r for r in rows}


def office_verify_command(settings: Any, office_path: Path | None) -> int:
    """0 when the office holds what cardledger's views hold, 1 with one line per
    difference when not, 2 when there is no office model, 130 on Ctrl-C."""
    import sys  # noqa: PLC0415

    from cardledger.audit_progress import INTERRUPTED, Interrupted, watched  # noqa: PLC0415
    from cardledger.wiring import open_runtime  # noqa: PLC0415

    path = office_path or (settings.office_data_dir or settings.data_dir / "office") / \
        "read_model.sqlite3"
    try:
        office = open_office(path)
    except MissingOfficeModel as e:
        print(f"cardledger: {e}", file=sys.stderr)
        return 2
    count = 0
    try:
        with open_runtime(settings, run_projector=False) as runtime, \
                watched("comparing with the office") as watch:
            while applied := runtime.projector.run_once():  # the views at the log's head
                watch.advance(applied)
            for difference in office_differences(office, runtime.read_model.db, watch.advance):
                print(difference, flush=True)
                count += 1
    except Interrupted:
        print("cardledger: office-verify interrupted; nothing was changed", file=sys.stderr)
        return INTERRUPTED
    finally:
        office.close()
    print(f"compared the office read model at {path} with cardledger's views: "
          f"{'OK' if not count else f'{count} difference(s)'}")
    return 1 if count else 0

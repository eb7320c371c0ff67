"""The card-list and change-history views, and how events update them.

A batch of events and the new tracking position are written in one
transaction. The position is advanced by compare-and-set, first thing in the
transaction: if another runner got there first the whole batch rolls back, so
each event changes the views exactly once even with several runners.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import singledispatchmethod
from typing import Any

from domain.company import Company
from domain.customer import Customer
from domain.errors import CustomerErased
from projections import autopay_views
from projections.database import Database, Transaction
from projections.history import displayed_card, history_entry
from projections.log_follower import Positions
from projections.schema import TABLES, VIEW_TABLES
from projections.views import CardView, HistoryEntry, iso

NAME = "cardledger-views"
VIEWS_CHANNEL = "cl_views"  # PostgreSQL NOTIFY channel: the views reached a position
# The payload is the position, followed by this word when the transaction that
# moved the views also appended the events (inline: projections/inline_views.py).
INLINE = "inline"


class StalePosition(Exception):
    """Another runner advanced the views first; reload the position and go on."""


class _Batch:
    """One batch's transaction, plus what the batch writes once at its end rather
    than once per event: the history rows (one bulk insert) and each customer's
    latest version. Still one transaction with the position's compare-and-set, so
    exactly-once holds; it only saves round trips (a rebuild was bound by them).
    The cards the batch's history rows show are read once, before its writes,
    with the compare-and-set's round trip; cards it adds are remembered."""

    def __init__(self, tx: Transaction, known: Mapping[str, tuple[str, str] | None]) -> None:
        self.tx = tx
        self.history: list[HistoryEntry] = []
        self.versions: dict[str, int] = {}  # aggregate id (hex) -> version
        # card id -> (brand, last4), or None for no such card: read before the
        # batch (``shown_cards``), then kept current by the batch's own events
        self.cards: dict[str, tuple[str, str] | None] = dict(known)

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Transaction:
        return self.tx.execute(sql, params)

    def display(self, card_id: str) -> tuple[str, str] | None:
        # Every card a history row shows was read before the batch or added in it.
        return self.cards.get(card_id)

    def add_history(self, entry: HistoryEntry | None) -> None:
        if entry is not None:
            self.history.append(entry)

    def flush(self) -> None:
        # One bulk insert (COPY on PostgreSQL) for the batch's history rows.
        self.tx.insert_many("cl_history", [dict(vars(entry)) for entry in self.history])
        for aggregate_id, version in self.versions.items():
            self.tx.execute("UPDATE cl_customers SET version = :v WHERE aggregate_id = :id",
                            {"v": version, "id": aggregate_id})


def shown_cards(tx: Transaction, events: Sequence[Any],
                ) -> Callable[[], dict[str, tuple[str, str] | None]]:
    """Sends the read of the cards the events' history rows show and they do
    not add themselves (their brand and last4 as before the events); the call
    returns them, every card asked for present (None: no such card)."""
    added = {e.card_id for e in events if isinstance(e, Customer.CardAdded)}
    wanted = sorted({c for e in events if (c := displayed_card(e)) and c not in added})
    reads = []
    for start in range(0, len(wanted), _SHOWN_CARDS_PER_READ):
        chunk = wanted[start:start + _SHOWN_CARDS_PER_READ]
        names = {f"c{i}": card for i, card in enumerate(chunk)}
        reads.append(tx.read_later(
            "SELECT card_id, brand, last4 FROM cl_payment_methods "
            f"WHERE card_id IN ({', '.join(':' + n for n in names)})", names))

    def known() -> dict[str, tuple[str, str] | None]:
        found: dict[str, tuple[str, str] | None] = dict.fromkeys(wanted)
        for read in reads:
            found.update({r["card_id"]: (r["brand"], r["last4"]) for r in read()})
        return found

    return known


_SHOWN_CARDS_PER_READ = 500  # bound parameters a statement (SQLite allows 32,766)


# Two index-ordered reads merged (see ReadModel.history). Each branch is a
# subquery so that its ORDER BY and LIMIT are allowed on SQLite as well.
_HISTORY_PAGE = """
SELECT * FROM (
    SELECT * FROM (SELECT * FROM cl_history
                   WHERE company_id = :co AND customer_id = :cu AND position < :before
                   ORDER BY position DESC LIMIT :limit) AS own
    UNION ALL
    SELECT * FROM (SELECT * FROM cl_history
                   WHERE company_id = :co AND customer_id = '' AND position < :before
                   ORDER BY position DESC LIMIT :limit) AS company_wide
) AS page
WHERE EXISTS (SELECT 1 FROM cl_customers WHERE company_id = :co AND customer_id = :cu)
ORDER BY position DESC LIMIT :limit"""


@dataclass(frozen=True)
class InlineReads:
    """What an inline write read, each answered once its round trip is
    waited for: the views' position and the log's last before the batch,
    and the cards the batch's history rows show."""

    position: Callable[[], list[dict[str, Any]]]
    known: Callable[[], dict[str, tuple[str, str] | None]]


class ReadModel:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.positions = Positions(db)

    def create_tables(self) -> None:
        with self.db.transaction() as tx:
            for statement in TABLES:
                tx.execute(statement)
        self.positions.ensure(NAME)

    # --- writing -------------------------------------------------------------------

    def position(self) -> int:
        return self.positions.read(NAME)

    def apply(self, batch: Iterable[tuple[Any, int]], expected: int, new: int) -> None:
        # Pipelined: BEGIN and the position's compare-and-set are one round
        # trip, every write after it and COMMIT one more (it was one each:
        # about ten for a command's batch, all on the command's read-your-writes
        # wait). The writes go only once the compare-and-set has succeeded.
        with self.db.pipelined() as tx:
            if self.db.postgres:
                # The views are derived, and their position moves in this same
                # transaction: if the server crashes before the commit reaches
                # the disk, views and position are lost together and the
                # projector applies the batch again. So the commit need not
                # wait for the disk (it is visible, and its NOTIFY sent, at
                # once): one flush a command, the append's, where there were two.
                tx.execute("SET LOCAL synchronous_commit = off")
            batch = list(batch)
            known = shown_cards(tx, [e for e, _ in batch])  # answered with the compare-and-set
            if not Positions.advance_in(tx, NAME, expected, new):
                raise StalePosition(f"views are no longer at {expected}")
            self._write(tx, batch, new, known=known())

    def read_for_inline(self, tx: Transaction, events: Sequence[Any], *,
                        events_table: tuple[str, str], first: int | None) -> InlineReads:
        """Sends what an inline write of ``events`` must read, inside the
        transaction that appends them and with the store's write lock held:
        the views' position row (``FOR UPDATE SKIP LOCKED``), the log's last
        position before the events, and the cards their history rows show.
        ``first`` None: sent before the insert (PostgreSQL, in the insert's
        own round trip), so the log's last position is simply its greatest;
        else the first event's position, after the insert (SQLite)."""
        table, column = events_table
        lock = " FOR UPDATE SKIP LOCKED" if tx.postgres else ""
        below = "" if first is None else f" WHERE {column} < :first"
        known = shown_cards(tx, events)
        position = tx.read_later(
            f"SELECT t.position, (SELECT COALESCE(MAX({column}), 0) FROM {table}{below}) "  # noqa: S608 (our names)
            f"AS before FROM cl_tracking t WHERE t.name = :n{lock}",
            {"first": first, "n": NAME} if first is not None else {"n": NAME})
        return InlineReads(position, known)

    def apply_inline(self, tx: Transaction, batch: Sequence[tuple[Any, int]],
                     reads: InlineReads) -> bool:
        """Inside the transaction that appended ``batch`` (and still holds the
        store's write lock), given ``read_for_inline``'s reads: apply it when
        the views hold every event before it, and move their position to its
        last event. False, writing nothing, when they lag (the projector
        applies it in turn) or another writer of the views is mid-transaction
        (its position row is locked: never wait for it with the store's lock
        held)."""
        rows = reads.position()
        row = rows[0] if rows else None
        if row is None or row["position"] != row["before"]:
            return False
        new = batch[-1][1]
        tx.execute("UPDATE cl_tracking SET position = :new WHERE name = :n", {"new": new, "n": NAME})
        self._write(tx, batch, new, inline=True, known=reads.known())
        return True

    def _write(self, tx: Transaction, batch: Iterable[tuple[Any, int]], new: int, *,
               known: Mapping[str, tuple[str, str] | None], inline: bool = False) -> None:
        deferred = _Batch(tx, known)
        for event, position in batch:
            self._apply(event, deferred, position)
        deferred.flush()
        if self.db.postgres:
            # Delivered at commit, to every process waiting for its command's
            # position (projections/listener.py): no one polls the views.
            tx.execute("SELECT pg_notify(:channel, :position)",
                       {"channel": VIEWS_CHANNEL,
                        "position": f"{new} {INLINE}" if inline else str(new)})

    def reset(self) -> None:
        with self.db.transaction() as tx:
            for table in VIEW_TABLES:
                tx.execute(f"DELETE FROM {table}")  # fixed names, not input
            tx.execute("UPDATE cl_tracking SET position = 0 WHERE name = :n", {"n": NAME})

    @singledispatchmethod
    def _apply(self, event: Any, tx: _Batch, position: int) -> None:
        """Other customer events move the version, and show in history if described."""
        if isinstance(event, Customer.Event):
            self._record(tx, event, position)
            autopay_views.apply(event, tx)
        elif isinstance(event, autopay_views.AutopaySettingsChanged):
            tx.execute("UPDATE cl_companies SET version = :v WHERE company_id = :co",
                       {"v": event.originator_version, "co": event.company_id})
            tx.add_history(history_entry(event, position, lambda card_id: None))

    @_apply.register
    def _(self, event: Customer.Registered, tx: _Batch, position: int) -> None:
        tx.execute("INSERT INTO cl_customers VALUES (:id, :co, :cu, :v, :at, NULL)", {
            "id": event.originator_id.hex, "co": event.company_id, "cu": event.customer_id,
            "v": event.originator_version, "at": iso(event.timestamp)})

    @_apply.register
    def _(self, event: Customer.CardAdded, tx: _Batch, position: int) -> None:
        tx.execute(
            "INSERT INTO cl_payment_methods VALUES (:card, :co, :cu, :brand, :last4, :m, :y, "
            ":funding, :primary, :at, :by, :src, :pos, NULL)",
            {"card": event.card_id, "co": event.company_id, "cu": event.customer_id,
             "brand": event.brand, "last4": event.last4, "m": event.exp_month,
             "y": event.exp_year, "funding": event.funding, "primary": False,
             "at": iso(event.timestamp), "by": event.actor, "src": event.source,
             "pos": position})
        tx.cards[event.card_id] = (event.brand, event.last4)
        self._record(tx, event, position)

    @_apply.register
    def _(self, event: Customer.PrimaryChanged, tx: _Batch, position: int) -> None:
        tx.execute(
            "UPDATE cl_payment_methods SET is_primary = (card_id = :to) "
            "WHERE company_id = :co AND customer_id = :cu AND (is_primary OR card_id = :to)",
            {"to": event.to_card_id, "co": event.company_id, "cu": event.customer_id})
        self._record(tx, event, position)

    @_apply.register
    def _(self, event: Customer.CardDeleted, tx: _Batch, position: int) -> None:
        tx.execute("UPDATE cl_payment_methods SET deleted_at = :at, is_primary = :no "
                   "WHERE card_id = :card",
                   {"at": iso(event.timestamp), "no": False, "card": event.card_id})
        self._record(tx, event, position)

    @_apply.register
    def _(self, event: Customer.CardUpdated, tx: _Batch, position: int) -> None:
        tx.execute("UPDATE cl_payment_methods SET last4 = :last4, exp_month = :m, exp_year = :y "
                   "WHERE card_id = :card",
                   {"last4": event.last4, "m": event.exp_month, "y": event.exp_year,
                    "card": event.card_id})
        if (shown := tx.cards.get(event.card_id)) is not None:
            tx.cards[event.card_id] = (shown[0], event.last4)
        self._record(tx, event, position)

    @_apply.register
    def _(self, event: Customer.Erased, tx: _Batch, position: int) -> None:
        tx.execute("UPDATE cl_customers SET erased_at = :at WHERE aggregate_id = :id",
                   {"at": iso(event.timestamp), "id": event.originator_id.hex})
        self._record(tx, event, position)

    @_apply.register
    def _(self, event: Company.Registered, tx: _Batch, position: int) -> None:
        tx.execute("INSERT INTO cl_companies VALUES (:co, :on, :v)",
                   {"co": event.company_id, "on": False, "v": event.originator_version})

    @_apply.register(Company.OnlinePaymentsEnabled)
    @_apply.register(Company.OnlinePaymentsDisabled)
    def _(self, event: Any, tx: _Batch, position: int) -> None:
        tx.execute("UPDATE cl_companies SET online_payments = :on, version = :v "
                   "WHERE company_id = :co",
                   {"on": isinstance(event, Company.OnlinePaymentsEnabled),
                    "v": event.originator_version, "co": event.company_id})
        tx.add_history(history_entry(event, position, lambda card_id: None))

    @staticmethod
    def _record(tx: _Batch, event: Any, position: int) -> None:
        """History row for a customer event, plus the customer's new version."""
        tx.versions[event.originator_id.hex] = event.originator_version
        tx.add_history(history_entry(event, position, tx.display))

    # --- reading ---------------------------------------------------------------------

    def card_list(self, company_id: str, customer_id: str) -> tuple[int, list[CardView]] | None:
        """(customer version, cards primary first then newest) in one query; None if
        unknown. Raises CustomerErased for an erased customer."""
        rows = self.db.read(
            "SELECT c.version, c.erased_at, p.card_id, p.brand, p.last4, p.exp_month, p.exp_year, p.funding, "
            "p.is_primary, p.added_at, p.added_by, p.added_from "
            "FROM cl_customers c LEFT JOIN cl_payment_methods p "
            "ON p.company_id = c.company_id AND p.customer_id = c.customer_id "
            "AND p.deleted_at IS NULL "
            "WHERE c.company_id = :co AND c.customer_id = :cu "
            "ORDER BY p.is_primary DESC, p.added_position DESC",
            {"co": company_id, "cu": customer_id})
        if not rows:
            return None
        if rows[0]["erased_at"] is not None:
            raise CustomerErased.of(company_id, customer_id, rows[0]["erased_at"])
        cards = [
            CardView(id=r["card_id"], brand=r["brand"], last4=r["last4"],
                     exp_month=r["exp_month"], exp_year=r["exp_year"], funding=r["funding"],
                     is_primary=bool(r["is_primary"]), added_at=r["added_at"],
                     added_by=r["added_by"], added_from=r["added_from"])
            for r in rows if r["card_id"] is not None
        ]
        return int(rows[0]["version"]), cards

    def has_customer(self, company_id: str, customer_id: str) -> bool:
        """Whether the customer is known, erased or not."""
        return bool(self.db.read("SELECT 1 AS known FROM cl_customers "
                                 "WHERE company_id = :co AND customer_id = :cu",
                                 {"co": company_id, "cu": customer_id}))

    def history(self, company_id: str, customer_id: str, limit: int = 500,
                before: int | None = None) -> list[HistoryEntry] | None:
        """Newest first: the customer's changes and company-wide switches; None
        when the customer is unknown. One statement when the page has entries
        (the customer's existence is checked inside it: company-wide entries
        alone do not make a customer), a second only for an empty page.

        The customer's entries and the company's are each read newest first
        along cl_history_by_customer, at most ``limit`` of each, and merged:
        with ``customer_id IN (:cu, '')`` no index gives that order, and
        PostgreSQL walked the whole table backwards by position instead
        (1.3 ms at 12,000 rows, growing with the table; this is 0.1 ms)."""
        rows = self.db.read(_HISTORY_PAGE, {
            "co": company_id, "cu": customer_id, "limit": limit,
            "before": before if before is not None else 2**62})
        if not rows:
            return [] if self.has_customer(company_id, customer_id) else None
        return [HistoryEntry(**row) for row in rows]

    def online_payments(self, company_id: str) -> bool:
        rows = self.db.read("SELECT online_payments FROM cl_companies WHERE company_id = :co",
                            {"co": company_id})
        return bool(rows and rows[0]["online_payments"])


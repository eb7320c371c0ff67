"""Reconciliation with the processor (`cardledger reconcile`): each
customer's saved cards against the cards attached to its processor customer.

- attached there, not saved here: detached there, recorded as
  UnsavedCardDetached (dry run: reported);
- saved here, gone there: recorded as deleted, reason ``processor-detached``;
- saved here with another last4 or expiry there: recorded as CardUpdated,
  reason ``reconciled``.

Every change is an event by ``system:reconciler``. A change is decided again
on a fresh load right before it is made, so a second run finds nothing to do
(idempotent) and a racing command wins. A run remembers the last customer it
finished (``cl_reconcile_progress``), so an interrupted run resumes there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from domain.customer import Customer
from domain.processor import AttachedCard
from domain.provenance import Provenance
from domain.retry import retry_on_conflict
from domain.service import CardLedger
from projections.database import Database

RECONCILER = Provenance("system:reconciler", "processor")
# A card attached this recently may belong to an add-card command still in
# flight (attach comes before the append): left for the next run.
GRACE = timedelta(minutes=10)
PROGRESS_TABLE = """CREATE TABLE IF NOT EXISTS cl_reconcile_progress (
    name TEXT PRIMARY KEY,
    company_id TEXT NOT NULL,
    customer_id TEXT NOT NULL)"""


@dataclass(frozen=True)
class Change:
    kind: str  # detach-unsaved, deleted, updated
    company_id: str
    customer_id: str
    card: str  # the card id, or the processor's handle of an unsaved card
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: customer {self.customer_id} of {self.company_id}, {self.card}: {self.detail}"


@dataclass
class Summary:
    dry_run: bool
    customers: int = 0  # looked at
    compared: int = 0  # with a processor customer
    resumed_after: tuple[str, str] | None = None
    changes: list[Change] = field(default_factory=list)
    left_for_later: int = 0  # unsaved cards within GRACE

    def counts(self) -> dict[str, int]:
        counts = {"detach-unsaved": 0, "deleted": 0, "updated": 0}
        for change in self.changes:
            counts[change.kind] += 1
        return counts


class Reconciler:
    def __init__(self, ledger: CardLedger, *, dry_run: bool = False,
                 progress: Callable[[int, int, str], None] | None = None,
                 grace: timedelta = GRACE) -> None:
        self.ledger = ledger
        self.dry_run = dry_run
        self.progress = progress
        self.grace = grace
        self.db = Database(ledger)
        with self.db.transaction() as tx:
            tx.execute(PROGRESS_TABLE)

    def run(self, company_id: str | None = None) -> Summary:
        summary = Summary(self.dry_run)
        name = company_id or "*"
        customers = self._customers(company_id)
        resume = None if self.dry_run else self._resume_point(name)
        if resume is not None:
            summary.resumed_after = resume
            customers = [c for c in customers if c > resume]
        for number, (company, customer) in enumerate(customers, 1):
            summary.customers += 1
            summary.changes += self.reconcile_customer(company, customer, summary)
            if not self.dry_run:
                self._remember(name, company, customer)
            if self.progress is not None:
                self.progress(number, len(customers), f"{company}/{customer}")
        if not self.dry_run:
            with self.db.transaction() as tx:
                tx.execute("DELETE FROM cl_reconcile_progress WHERE name = :n", {"n": name})
        return summary

    def reconcile_customer(self, company_id: str, customer_id: str,
                           summary: Summary | None = None) -> list[Change]:
        customer = self.ledger.load_customer(company_id, customer_id)
        if customer is None or customer.processor_customer_id is None:
            return []
        if summary is not None:
            summary.compared += 1
        attached = self.ledger.processor.attached_cards(customer.processor_customer_id)
        changes = self._differences(customer, attached, summary)
        if not self.dry_run:
            for change, act in changes:
                act()
        return [change for change, _ in changes]

    # --- deciding ------------------------------------------------------------------------

    def _differences(self, customer: Customer, attached: list[AttachedCard],
                     summary: Summary | None) -> list[tuple[Change, Callable[[], None]]]:
        found: list[tuple[Change, Callable[[], None]]] = []
        there = {a.token: a for a in attached}
        for card in list(customer.cards.values()):
            theirs = there.get(card.processor_token)
            if theirs is None:
                found.append((self._change(customer, "deleted", card.card_id,
                                           "no longer attached at the processor"),
                              self._deleter(customer, card.card_id)))
            elif (theirs.last4, theirs.exp_month, theirs.exp_year) != (
                    card.last4, card.exp_month, card.exp_year):
                found.append((self._change(
                    customer, "updated", card.card_id,
                    f"{card.last4} {card.exp_month:02d}/{card.exp_year} -> "
                    f"{theirs.last4} {theirs.exp_month:02d}/{theirs.exp_year}"),
                    self._updater(customer, card.card_id, theirs)))
        now = self.ledger.clock()
        for theirs in attached:
            if customer.card_by_token(theirs.token) is not None:
                continue
            if theirs.created is not None and \
                    now - datetime.fromtimestamp(theirs.created, tz=UTC) < self.grace:
                if summary is not None:
                    summary.left_for_later += 1
                continue
            found.append((self._change(customer, "detach-unsaved", theirs.token,
                                       f"{theirs.brand} {theirs.last4} attached, not saved"),
                          self._detacher(customer, theirs)))
        return found

    @staticmethod
    def _change(customer: Customer, kind: str, card: str, detail: str) -> Change:
        return Change(kind, customer.company_id, customer.customer_id, card, detail)

    # --- acting: each on a fresh load, deciding again --------------------------------------

    def _fresh(self, customer: Customer) -> Customer:
        return self.ledger.get_customer(customer.company_id, customer.customer_id)

    def _deleter(self, customer: Customer, card_id: str) -> Callable[[], None]:
        def step() -> None:
            current = self._fresh(customer)
            if card_id in current.cards:
                # force: the card is gone at the processor, so autopay cannot keep
                # it; autopay then follows the primary, or goes off with the last card.
                current.delete_card(card_id, today=self.ledger.clock().date(), by=RECONCILER,
                                    reason="processor-detached", force=True)
                self.ledger.save(current)
        return lambda: retry_on_conflict(step)

    def _updater(self, customer: Customer, card_id: str, theirs: AttachedCard) -> Callable[[], None]:
        def step() -> None:
            current = self._fresh(customer)
            if card_id in current.cards and current.update_card(
                    card_id, last4=theirs.last4, exp_month=theirs.exp_month,
                    exp_year=theirs.exp_year, reason="reconciled", by=RECONCILER):
                self.ledger.save(current)
        return lambda: retry_on_conflict(step)

    def _detacher(self, customer: Customer, theirs: AttachedCard) -> Callable[[], None]:
        def step() -> None:
            current = self._fresh(customer)
            if current.card_by_token(theirs.token) is not None:
                return  # saved meanwhile by a racing add-card: it stays
            if current.erased_at is not None:
                return  # the stream takes no more events; the detach is all there is to do
            current.detached_unsaved_card(theirs.token, theirs.brand, theirs.last4,
                                          theirs.exp_month, theirs.exp_year, by=RECONCILER)
            self.ledger.save(current)

        def act() -> None:
            # Detached first: recording a detach that then failed would be a false fact.
            self.ledger.processor.detach(theirs.token)
            retry_on_conflict(step)
        return act

    # --- which customers, and where to resume ------------------------------------------------

    def _customers(self, company_id: str | None) -> list[tuple[str, str]]:
        where, params = ("WHERE company_id = :c", {"c": company_id}) if company_id else ("", {})
        rows = self.db.read(f"SELECT company_id, customer_id FROM cl_customers {where}",  # noqa: S608
                            params)
        # Sorted here, not by the database: resuming compares in Python's order.
        return sorted((r["company_id"], r["customer_id"]) for r in rows)

    def _resume_point(self, name: str) -> tuple[str, str] | None:
        rows = self.db.read("SELECT company_id, customer_id FROM cl_reconcile_progress "
                            "WHERE name = :n", {"n": name})
        return (rows[0]["company_id"], rows[0]["customer_id"]) if rows else None

    def _remember(self, name: str, company_id: str, customer_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM cl_reconcile_progress WHERE name = :n", {"n": name})
            tx.execute("INSERT INTO cl_reconcile_progress VALUES (:n, :co, :cu)",
                       {"n": name, "co": company_id, "cu": customer_id})

"""Autopay's views: who has autopay on which card, which charges are due, and
the expiring-cards report.

``cl_autopay`` lets the report say which cards autopay charges;
``cl_autopay_due`` is the retry worker's queue: a charge's row is due at its
next retry, or (while an attempt is open) when that attempt's in-flight window
ends, so a charge whose sender died is resumed; it goes when the charge ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from domain.autopay_events import (
    AutopayAttemptStarted,
    AutopayAttemptTakenOver,
    AutopayCardChanged,
    AutopayChargeSettled,
    AutopayDisabled,
    AutopayEnabled,
    AutopaySettingsChanged,
)
from projections.database import Database, Transaction

TABLES = (
    """CREATE TABLE IF NOT EXISTS cl_autopay (
        company_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        enabled BOOLEAN NOT NULL,
        card_id TEXT,
        PRIMARY KEY (company_id, customer_id))""",
    """CREATE TABLE IF NOT EXISTS cl_autopay_due (
        charge_id TEXT PRIMARY KEY,
        company_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        due_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS cl_autopay_due_by_time ON cl_autopay_due (due_at)",
    # The expiring-cards report reads one range of this index (see expiring_cards).
    """CREATE INDEX IF NOT EXISTS cl_payment_methods_by_expiry
        ON cl_payment_methods (company_id, exp_year, exp_month, card_id)
        WHERE deleted_at IS NULL""",
)
VIEW_TABLES = ("cl_autopay", "cl_autopay_due")

_SET_AUTOPAY = ("INSERT INTO cl_autopay VALUES (:co, :cu, :on, :card) "
                "ON CONFLICT (company_id, customer_id) DO UPDATE "
                "SET enabled = excluded.enabled, card_id = excluded.card_id")
_DUE = ("INSERT INTO cl_autopay_due VALUES (:id, :co, :cu, :due) "
        "ON CONFLICT (charge_id) DO UPDATE SET due_at = excluded.due_at")


__all__ = ["AUTOPAY_VIEW_EVENTS", "AutopaySettingsChanged", "apply", "due_charges",
           "expiring_cards"]

# The customer events ``apply`` writes rows for (the rebuild decodes just these).
AUTOPAY_VIEW_EVENTS = (AutopayEnabled, AutopayDisabled, AutopayCardChanged,
                       AutopayAttemptStarted, AutopayAttemptTakenOver, AutopayChargeSettled)


def apply(event: Any, tx: Transaction | Any) -> None:
    """Called by the read model for every customer event, in its batch's transaction."""
    who = {"co": event.company_id, "cu": event.customer_id}
    if isinstance(event, AutopayEnabled):
        tx.execute(_SET_AUTOPAY, {**who, "on": True, "card": event.card_id})
    elif isinstance(event, AutopayDisabled):
        tx.execute(_SET_AUTOPAY, {**who, "on": False, "card": None})
    elif isinstance(event, AutopayCardChanged):
        tx.execute(_SET_AUTOPAY, {**who, "on": True, "card": event.to_card_id})
    elif isinstance(event, AutopayAttemptStarted | AutopayAttemptTakenOver):
        tx.execute(_DUE, {**who, "id": event.charge_id, "due": event.in_flight_until})
    elif isinstance(event, AutopayChargeSettled):
        if event.status == "retry_scheduled":
            tx.execute(_DUE, {**who, "id": event.charge_id, "due": event.next_retry_at})
        else:
            tx.execute("DELETE FROM cl_autopay_due WHERE charge_id = :id",
                       {"id": event.charge_id})


@dataclass(frozen=True)
class DueCharge:
    company_id: str
    customer_id: str
    charge_id: str
    due_at: str


def due_charges(db: Database, now_iso: str, limit: int = 100) -> list[DueCharge]:
    """Charges due by ``now_iso``, oldest due first. Instants compare as text:
    every one is written by ``datetime.isoformat`` in UTC."""
    rows = db.read("SELECT company_id, customer_id, charge_id, due_at FROM cl_autopay_due "
                   "WHERE due_at <= :now ORDER BY due_at LIMIT :n",
                   {"now": now_iso, "n": limit})
    return [DueCharge(**row) for row in rows]


@dataclass(frozen=True)
class ExpiringCard:
    customer_id: str
    payment_method_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    is_primary: bool
    autopay: bool

    @property
    def cursor(self) -> str:
        return f"{self.exp_year:04d}-{self.exp_month:02d}-{self.payment_method_id}"


def expiry_window(today: date, within_days: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """(first, last) expiry month, as (year, month), of cards that expire
    between today and ``within_days`` from now: a card is good through the end
    of its month, so this month's cards are in, last month's are not."""
    last = today + timedelta(days=within_days)
    return (today.year, today.month), (last.year, last.month)


EXPIRING_CARDS = (
    "SELECT p.customer_id, p.card_id, p.brand, p.last4, p.exp_month, p.exp_year, "
    "p.is_primary, a.enabled AS autopay_on, a.card_id AS autopay_card "
    "FROM cl_payment_methods p LEFT JOIN cl_autopay a "
    "ON a.company_id = p.company_id AND a.customer_id = p.customer_id "
    "WHERE p.deleted_at IS NULL AND p.company_id = :co "
    "AND (p.exp_year, p.exp_month, p.card_id) > (:ay, :am, :ac) "
    "AND (p.exp_year, p.exp_month) >= (:y0, :m0) "
    "AND (p.exp_year, p.exp_month) <= (:y1, :m1) "
    "ORDER BY p.exp_year, p.exp_month, p.card_id LIMIT :n")


def expiring_params(company_id: str, today: date, within_days: int, limit: int,
                    after: str | None = None) -> dict[str, Any]:
    (y0, m0), (y1, m1) = expiry_window(today, within_days)
    start: dict[str, Any] = {"ay": y0, "am": m0, "ac": ""}
    if after:
        year, month, card = after.split("-", 2)
        start = {"ay": int(year), "am": int(month), "ac": card}
    return {"co": company_id, **start, "y0": y0, "m0": m0, "y1": y1, "m1": m1, "n": limit}


def expiring_cards(db: Database, company_id: str, today: date, within_days: int, *,
                   limit: int, after: str | None = None) -> tuple[list[ExpiringCard], bool]:
    """One range read of the expiry index, joined to each card's customer's
    autopay row; ordered by expiry, then card id. Expiry is as the account
    updater last corrected it (CardUpdated updates the card's row). Returns
    (cards, has_more); ``after`` is the last card's ``cursor``."""
    rows = db.read(EXPIRING_CARDS, expiring_params(company_id, today, within_days, limit + 1,
                                                    after))
    cards = [ExpiringCard(
        customer_id=r["customer_id"], payment_method_id=r["card_id"], brand=r["brand"],
        last4=r["last4"], exp_month=r["exp_month"], exp_year=r["exp_year"],
        is_primary=bool(r["is_primary"]),
        autopay=bool(r["autopay_on"]) and (r["autopay_card"] == r["card_id"] or (
            r["autopay_card"] is None and bool(r["is_primary"]))))
        for r in rows[:limit]]
    return cards, len(rows) > limit


def companies(db: Database) -> list[str]:
    return [r["company_id"] for r in db.read("SELECT company_id FROM cl_companies "
                                             "ORDER BY company_id")]

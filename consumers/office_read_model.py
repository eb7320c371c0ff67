"""The office's view of every customer's payment methods and history, built
only from Kafka messages (never cardledger's tables).

Each event is applied at most once: its id is stored with the change in one
transaction. Events of one aggregate are applied strictly in version order;
an event that arrives ahead of a missing predecessor (a batch the relay is
re-sending) is left unrecorded, so its re-sent copy applies after the gap fills.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from consumers.envelope import Envelope
from consumers.state import LocalStore

log = logging.getLogger("cardledger.consumers.office")

TABLES = (
    "CREATE TABLE IF NOT EXISTS office_processed (event_id TEXT PRIMARY KEY)",
    """CREATE TABLE IF NOT EXISTS office_aggregates (
        aggregate_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS office_customers (
        company_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        aggregate_id TEXT NOT NULL,
        registered_at TEXT NOT NULL,
        PRIMARY KEY (company_id, customer_id))""",
    """CREATE TABLE IF NOT EXISTS office_payment_methods (
        card_id TEXT PRIMARY KEY,
        company_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        brand TEXT NOT NULL,
        last4 TEXT NOT NULL,
        exp_month INTEGER NOT NULL,
        exp_year INTEGER NOT NULL,
        funding TEXT NOT NULL,
        is_primary INTEGER NOT NULL,
        added_at TEXT NOT NULL,
        added_by TEXT NOT NULL,
        added_from TEXT NOT NULL,
        added_position INTEGER NOT NULL,
        deleted_at TEXT)""",
    """CREATE TABLE IF NOT EXISTS office_history (
        position INTEGER PRIMARY KEY,
        company_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        card_id TEXT,
        brand TEXT,
        last4 TEXT,
        actor TEXT NOT NULL,
        source TEXT NOT NULL,
        detail TEXT NOT NULL)""",
    """CREATE INDEX IF NOT EXISTS office_history_by_customer
        ON office_history (company_id, customer_id)""",
)

Detail = Callable[[dict[str, Any]], str]


def _field(name: str) -> Detail:
    return lambda data: str(data[name] or "")


def _invoice(data: dict[str, Any]) -> str:
    return f"invoice {data['invoice_id']}: {data['amount']} {data['currency']}"


# envelope type -> (history action, data field naming the card, the detail shown)
HISTORY: dict[str, tuple[str, str | None, Detail | None]] = {
    "Customer.CardAdded": ("added", "card_id", None),
    "Customer.PrimaryChanged": ("set_primary", "to_card_id", _field("reason")),
    "Customer.CardDeleted": ("deleted", "card_id", _field("reason")),
    "Customer.CardUpdated": ("updated", "card_id", _field("reason")),
    "Customer.PaymentSucceeded": ("payment_succeeded", "card_id", _invoice),
    "Customer.PaymentFailed": ("payment_failed", "card_id",
                               lambda data: f"{_invoice(data)}, {data['decline_code']}"),
    "Company.OnlinePaymentsEnabled": ("online_payments_enabled", None, None),
    "Company.OnlinePaymentsDisabled": ("online_payments_disabled", None, None),
    # The office's notices about autopay (docs/autopay.md): it stopped, or left a card.
    "Customer.AutopayDisabled": ("autopay_disabled", "card_id", _field("reason")),
    "Customer.AutopayCardChanged": ("autopay_card_changed", "from_card_id", _field("reason")),
    "Customer.Erased": ("erased", None, None),
}

Change = Callable[[sqlite3.Connection, Envelope], None]


def _register(tx: sqlite3.Connection, e: Envelope) -> None:
    tx.execute("INSERT INTO office_customers VALUES (?, ?, ?, ?)",
               (e.company_id, e.customer_id, e.aggregate_id, e.occurred_at))


def _add_card(tx: sqlite3.Connection, e: Envelope) -> None:
    d = e.data
    tx.execute("INSERT INTO office_payment_methods "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, NULL)",
               (d["card_id"], e.company_id, e.customer_id, d["brand"], d["last4"],
                d["exp_month"], d["exp_year"], d["funding"], e.occurred_at, e.actor, e.source,
                e.position))


def _change_primary(tx: sqlite3.Connection, e: Envelope) -> None:
    tx.execute("UPDATE office_payment_methods SET is_primary = (card_id = ?) "
               "WHERE company_id = ? AND customer_id = ? AND (is_primary OR card_id = ?)",
               (e.data["to_card_id"], e.company_id, e.customer_id, e.data["to_card_id"]))


def _delete_card(tx: sqlite3.Connection, e: Envelope) -> None:
    tx.execute("UPDATE office_payment_methods SET deleted_at = ?, is_primary = 0 WHERE card_id = ?",
               (e.occurred_at, e.data["card_id"]))


def _update_card(tx: sqlite3.Connection, e: Envelope) -> None:
    d = e.data
    tx.execute("UPDATE office_payment_methods SET last4 = ?, exp_month = ?, exp_year = ? "
               "WHERE card_id = ?", (d["last4"], d["exp_month"], d["exp_year"], d["card_id"]))


def _erase(tx: sqlite3.Connection, e: Envelope) -> None:
    # The customer was erased: the office keeps no card of theirs (cardledger
    # deleted each one just before, by events this model applied too).
    tx.execute("DELETE FROM office_payment_methods WHERE company_id = ? AND customer_id = ?",
               (e.company_id, e.customer_id))


CHANGES: dict[str, Change] = {
    "Customer.Registered": _register,
    "Customer.CardAdded": _add_card,
    "Customer.PrimaryChanged": _change_primary,
    "Customer.CardDeleted": _delete_card,
    "Customer.CardUpdated": _update_card,
    "Customer.Erased": _erase,
}


class OfficeReadModel:
    name = "office-read-model"

    def __init__(self, path: Path) -> None:
        self.store = LocalStore(path, (TABLES,))  # migration 1; append, never edit

    # --- the consumer's handler --------------------------------------------------------

    def seen(self, event_id: str) -> bool:
        return bool(self.store.read("SELECT 1 FROM office_processed WHERE event_id = ?",
                                    (event_id,)))

    def handle(self, e: Envelope) -> None:
        with self.store.transaction() as tx:
            if tx.execute("SELECT 1 FROM office_processed WHERE event_id = ?",
                          (e.event_id,)).fetchone():
                return
            row = tx.execute("SELECT version FROM office_aggregates WHERE aggregate_id = ?",
                             (e.aggregate_id,)).fetchone()
            version = row["version"] if row else 0
            if e.aggregate_version > version + 1:
                log.warning("event %s is version %d of %s but version %d is missing; "
                            "waiting for the relay to re-send it", e.event_id,
                            e.aggregate_version, e.aggregate_id, version + 1)
                return
            if e.aggregate_version == version + 1:
                change = CHANGES.get(e.type)
                if change is not None:
                    change(tx, e)
                self._record_history(tx, e)
                tx.execute("INSERT INTO office_aggregates VALUES (?, ?) ON CONFLICT (aggregate_id) "
                           "DO UPDATE SET version = excluded.version",
                           (e.aggregate_id, e.aggregate_version))
            tx.execute("INSERT INTO office_processed VALUES (?)", (e.event_id,))

    @staticmethod
    def _record_history(tx: sqlite3.Connection, e: Envelope) -> None:
        described = HISTORY.get(e.type)
        if described is None:
            return
        action, card_field, detail = described
        card_id = e.data[card_field] if card_field else None
        card = tx.execute("SELECT brand, last4 FROM office_payment_methods WHERE card_id = ?",
                          (card_id,)).fetchone() if card_id else None
        tx.execute("INSERT INTO office_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (e.position, e.company_id, e.customer_id or "", e.occurred_at, action, card_id,
                    card["brand"] if card else None, card["last4"] if card else None,
                    e.actor, e.source, detail(e.data) if detail else ""))

    # --- what the office reads -----------------------------------------------------------

    def processed(self) -> int:
        """How many events this model has applied (or knowingly skipped as stale)."""
        return int(self.store.read("SELECT COUNT(*) AS n FROM office_processed")[0]["n"])

    def payment_methods(self, company_id: str,
                        customer_id: str) -> tuple[int, list[dict[str, Any]]] | None:
        """(customer version, active cards primary first, then newest); None if unknown."""
        customer = self.store.read(
            "SELECT a.version FROM office_customers c JOIN office_aggregates a "
            "ON a.aggregate_id = c.aggregate_id WHERE c.company_id = ? AND c.customer_id = ?",
            (company_id, customer_id))
        if not customer:
            return None
        cards = self.store.read(
            "SELECT card_id, brand, last4, exp_month, exp_year, funding, is_primary, added_at, "
            "added_by, added_from FROM office_payment_methods "
            "WHERE company_id = ? AND customer_id = ? AND deleted_at IS NULL "
            "ORDER BY is_primary DESC, added_position DESC", (company_id, customer_id))
        return int(customer[0]["version"]), cards

    def history(self, company_id: str, customer_id: str) -> list[dict[str, Any]]:
        """Newest first: the customer's changes and the company's online-payment switches."""
        return self.store.read(
            "SELECT * FROM office_history WHERE company_id = ? AND customer_id IN (?, '') "
            "ORDER BY position DESC", (company_id, customer_id))

    def close(self) -> None:
        self.store.close()

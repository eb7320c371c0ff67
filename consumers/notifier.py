"""Tells a customer by email when a card was added to or removed from their account.

cardledger holds no email addresses, so the address comes from a lookup the
office supplies: ``address_for(company_id, customer_id)``; by default a
template setting such as ``{customer_id}@customers.example.com``. A lookup that
returns None means "do not email this customer".

Delivery is at least once: the mail is sent, then the event id is recorded.
A crash between the two sends the mail again (with the same Message-ID,
derived from the event id, so a mail system can drop the copy).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from consumers.envelope import Envelope
from consumers.state import LocalStore

log = logging.getLogger("cardledger.consumers.notifier")

AddressLookup = Callable[[str, str], str | None]

TABLES = (
    "CREATE TABLE IF NOT EXISTS notifier_sent (event_id TEXT PRIMARY KEY)",
    # Brand and last4 of every card seen, so a removal mail can name the card.
    """CREATE TABLE IF NOT EXISTS notifier_cards (
        card_id TEXT PRIMARY KEY, brand TEXT NOT NULL, last4 TEXT NOT NULL)""",
)


def address_template(template: str) -> AddressLookup:
    def lookup(company_id: str, customer_id: str) -> str | None:
        return template.format(company_id=company_id, customer_id=customer_id)

    return lookup


class Notifier:
    name = "notifier"

    def __init__(self, path: Path, *, smtp_host: str, smtp_port: int, sender: str,
                 address_for: AddressLookup, timeout: float = 10.0) -> None:
        self.store = LocalStore(path, (TABLES,))  # migration 1; append, never edit
        self.smtp_host = smtp_host
        self.smtp_port = smtp_port
        self.sender = sender
        self.address_for = address_for
        self.timeout = timeout

    def seen(self, event_id: str) -> bool:
        return bool(self.store.read("SELECT 1 FROM notifier_sent WHERE event_id = ?",
                                    (event_id,)))

    def handle(self, e: Envelope) -> None:
        if e.type == "Customer.CardAdded":
            brand, last4 = e.data["brand"], e.data["last4"]
            with self.store.transaction() as tx:
                tx.execute("INSERT INTO notifier_cards VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                           (e.data["card_id"], brand, last4))
            self._notify(e, f"Your {brand.title()} ending {last4} was saved",
                         f"A {brand.title()} card ending {last4} was saved to your account "
                         f"on {e.occurred_at[:10]}.")
        elif e.type == "Customer.CardDeleted":
            rows = self.store.read("SELECT brand, last4 FROM notifier_cards WHERE card_id = ?",
                                   (e.data["card_id"],))
            card = f"{rows[0]['brand'].title()} ending {rows[0]['last4']}" if rows else "A card"
            self._notify(e, f"{card} was removed from your account",
                         f"{card} was removed from your saved payment methods "
                         f"on {e.occurred_at[:10]}.")

    def _notify(self, e: Envelope, subject: str, body: str) -> None:
        address = self.address_for(e.company_id, e.customer_id or "")
        if address:
            message = EmailMessage()
            message["From"] = self.sender
            message["To"] = address
            message["Subject"] = subject
            message["Message-ID"] = f"<{e.event_id}@cardledger>"
            message.set_content(body + "\n\nIf this was not you, please call our office.\n")
            with smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=self.timeout) as smtp:
                smtp.send_message(message)
        else:
            log.info("no address for customer %s/%s; not notified", e.company_id, e.customer_id)
        with self.store.transaction() as tx:
            tx.execute("INSERT INTO notifier_sent VALUES (?) ON CONFLICT DO NOTHING",
                       (e.event_id,))

    def close(self) -> None:
        self.store.close()

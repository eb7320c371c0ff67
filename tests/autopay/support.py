"""Givens shared by the autopay tests: a customer with cards, enrolled."""

from __future__ import annotations

from cardledger.wiring import Runtime
from tests.builders import ADMIN, OFFICE, PORTAL

COMPANY, CUSTOMER = "acme", "1001"


def customer_with(runtime: Runtime, *tokens: str, autopay_card: int | None = None,
                  fallback: bool = True, schedule: tuple[int, ...] = (1, 3)) -> list[str]:
    """Online payments on, the cards added in order (the first is primary),
    autopay on the card at ``autopay_card`` (None: follows the primary)."""
    ledger = runtime.ledger
    ledger.set_online_payments(COMPANY, True, ADMIN)
    ledger.autopay.change_settings(COMPANY, fallback, list(schedule), ADMIN)
    cards = [str(ledger.add_card(COMPANY, CUSTOMER, token, by=PORTAL).card_id)
             for token in tokens]
    ledger.autopay.enrol(COMPANY, CUSTOMER,
                         card_id=None if autopay_card is None else cards[autopay_card],
                         consent_text_version="autopay-terms-v3", consent_channel="portal",
                         by=PORTAL)
    return cards


def charge(runtime: Runtime, key: str = "charge-1", invoice: str = "INV-1", amount: int = 5000):
    return runtime.ledger.autopay.charge(COMPANY, CUSTOMER, invoice_id=invoice, amount=amount,
                                         currency="usd", by=OFFICE, idempotency_key=key)

"""Given-when-then over events for the Customer aggregate.

``given`` folds past events into a fresh aggregate (state comes from events
alone); ``when`` runs one command and returns only the new events.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from cardledger.processors.sandbox import TEST_CARDS
from domain.customer import Customer
from domain.processor import CardDetails
from domain.provenance import Provenance

TODAY = date(2026, 11, 25)
CUSTOMER = Provenance("customer:1001", "portal")
OFFICE = Provenance("user:jdoe", "office")


def details(token: str) -> CardDetails:
    return TEST_CARDS[token].details


def given(*steps: Callable[[Customer], Any]) -> Customer:
    """Run steps on a new customer, then rebuild it from the events they made."""
    customer = Customer.register("acme", "1001", OFFICE)
    for step in steps:
        step(customer)
    rebuilt: Customer | None = None
    for event in customer.collect_events():
        rebuilt = event.mutate(rebuilt)
    assert rebuilt is not None
    return rebuilt


def when(customer: Customer, command: Callable[[Customer], Any]) -> Sequence[Any]:
    command(customer)
    return customer.collect_events()


def added(card_id: str, token: str = "pm_card_visa", *, make_primary: bool = False,
          online: bool = True, today: date = TODAY, max_cards: int = 10,
          card: CardDetails | None = None, by: Provenance = CUSTOMER,
          key: str | None = None) -> Callable[[Customer], None]:
    def step(customer: Customer) -> None:
        customer.add_card(card_id, token, card or details(token), make_primary=make_primary,
                          online_payments=online, today=today, max_cards=max_cards, by=by,
                          idempotency_key=key, request_hash="h-" + card_id if key else None)
    return step


def made_primary(card_id: str, *, today: date = TODAY,
                 by: Provenance = CUSTOMER) -> Callable[[Customer], None]:
    return lambda customer: customer.set_primary(card_id, today=today, by=by)


def deleted(card_id: str, *, today: date = TODAY,
            by: Provenance = CUSTOMER) -> Callable[[Customer], None]:
    return lambda customer: customer.delete_card(card_id, today=today, by=by)


def kinds(events: Sequence[Any]) -> list[str]:
    return [type(e).__name__ for e in events]

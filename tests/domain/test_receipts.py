"""Idempotency receipts are bookkeeping every customer event shares: written
once, in the base event, so no event (today's or a new one) can forget it."""

from __future__ import annotations

from domain.customer import Customer


def customer_events() -> list[type[Customer.Event]]:
    found, pending = [], [Customer.Event]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found[1:]


def test_no_customer_event_applies_itself_around_the_receipt() -> None:
    # Given every customer event class
    overriding = [cls.__name__ for cls in customer_events() if "apply" in vars(cls)]
    # Then none overrides apply (each says only its change), so the receipt is kept
    assert overriding == []


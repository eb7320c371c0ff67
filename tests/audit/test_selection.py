"""Why this card was charged: every PaymentStarted records how the card was
selected and the card's version, so the card as charged can be replayed."""

from __future__ import annotations

from cardledger.wiring import Runtime
from domain.customer import Customer
from domain.provenance import Provenance
from tests.builders import three_cards

PORTAL = Provenance("customer:1001", "portal")


def started(runtime: Runtime) -> Customer.PaymentStarted:
    return [e for e in runtime.ledger.customer_events("acme", "1001")
            if isinstance(e, Customer.PaymentStarted)][-1]


def added_at_version(runtime: Runtime, card_id: str) -> int:
    return next(e.originator_version for e in runtime.ledger.customer_events("acme", "1001")
                if isinstance(e, Customer.CardAdded) and e.card_id == card_id)


def test_a_payment_without_a_named_card_charges_the_primary_and_says_so(
        runtime: Runtime) -> None:
    cards = three_cards(runtime)
    runtime.ledger.pay_invoice("acme", "1001", invoice_id="INV-1", amount=1250, currency="usd",
                               by=PORTAL, idempotency_key="k1")
    event = started(runtime)
    assert (event.card_id, event.selection, event.card_version) == (
        cards.middle, "primary", added_at_version(runtime, cards.middle))


def test_a_payment_with_a_named_card_records_it_as_chosen(runtime: Runtime) -> None:
    cards = three_cards(runtime)
    runtime.ledger.pay_invoice("acme", "1001", invoice_id="INV-1", amount=1250, currency="usd",
                               card_id=cards.oldest, by=PORTAL, idempotency_key="k1")
    event = started(runtime)
    assert (event.card_id, event.selection, event.card_version) == (
        cards.oldest, "chosen", added_at_version(runtime, cards.oldest))


def test_the_card_version_follows_the_processors_update(runtime: Runtime) -> None:
    """Given the primary's expiry updated by the processor, when it is charged,
    then card_version is the update's version and replaying to it shows the
    card as charged."""
    cards = three_cards(runtime)
    customer = runtime.ledger.get_customer("acme", "1001")
    card = customer.cards[cards.middle]
    updated = runtime.ledger.record_processor_update(
        customer.processor_customer_id, card.processor_token, last4=card.last4, exp_month=1,
        exp_year=2031, reason="expiry-updated", event_id="evt_1")
    assert updated is not None
    runtime.ledger.pay_invoice("acme", "1001", invoice_id="INV-1", amount=1250, currency="usd",
                               by=PORTAL, idempotency_key="k1")
    event = started(runtime)
    assert event.card_version == updated.version
    as_charged = runtime.ledger.get_customer("acme", "1001", version=event.card_version)
    assert as_charged.cards[cards.middle].exp_year == 2031


def test_the_payments_answer_says_why_the_card_was_charged(runtime: Runtime) -> None:
    cards = three_cards(runtime)
    outcome = runtime.ledger.pay_invoice("acme", "1001", invoice_id="INV-1", amount=1250,
                                         currency="usd", by=PORTAL, idempotency_key="k1")
    assert (outcome.payment.selection, outcome.payment.card_version) == (
        "primary", added_at_version(runtime, cards.middle))

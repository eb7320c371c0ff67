"""Erasure, as given past events -> when the customer is erased -> then new events or an error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain import autopay
from domain.erasure import erase
from domain.errors import CustomerErased, ErasureBlocked
from domain.processor import ChargeResult
from domain.provenance import Provenance
from tests.domain.scenario import TODAY, added, given, kinds, made_primary, when

ADMIN = Provenance("user:admin", "admin")
SOON = datetime(2026, 11, 25, 12, 5, tzinfo=UTC)


def erased(customer: object) -> None:
    erase(customer, by=ADMIN)  # type: ignore[arg-type]


def autopay_on(customer: object) -> None:
    autopay.enrol(customer, card_id=None, text_version="v1", channel="portal",  # type: ignore[arg-type]
                  consent_id="cns_a", online_payments=True, today=TODAY, by=ADMIN)


def payment_started(payment_id: str) -> object:
    def step(customer: object) -> None:
        customer.start_payment(  # type: ignore[attr-defined]
            payment_id, invoice_id="inv-" + payment_id, amount=500, currency="usd",
            card_id=None, online_payments=True, today=TODAY, in_flight_until=SOON, by=ADMIN,
            idempotency_key="k-" + payment_id, request_hash="h-" + payment_id)
    return step


def test_erasing_deletes_every_card_turns_autopay_off_then_records_the_erasure() -> None:
    # Given three cards, the middle one primary, and autopay on the primary
    customer = given(added("c1"), added("c2", "pm_card_mastercard"),
                     added("c3", "pm_card_amex"), made_primary("c2"), autopay_on)
    # When an admin erases the customer
    events = when(customer, erased)
    # Then autopay goes off, each card is deleted as erased, and Erased is last
    assert kinds(events) == ["AutopayDisabled", "CardDeleted", "CardDeleted", "CardDeleted",
                             "Erased"]
    assert events[0].reason == "customer-erased"
    assert sorted(e.card_id for e in events[1:4]) == ["c1", "c2", "c3"]
    assert {e.reason for e in events[1:4]} == {"customer-erased"}
    assert {e.actor for e in events} == {"user:admin"}
    # And no primary card is promoted on the way, nothing is left to charge
    assert "PrimaryChanged" not in kinds(events)
    assert customer.cards == {}
    assert customer.primary_card_id is None
    assert customer.erased_at == events[-1].timestamp


def test_an_erased_customer_takes_no_more_changes() -> None:
    # Given an erased customer
    customer = given(added("c1"), erased)
    # When anything would record a change for them (a command whose own rules
    # pass, or a worker's record)
    # Then it is refused at the one gate every event passes, and nothing is recorded
    # (the service refuses every command before its rules: tests/test_erasure.py)
    for command in (added("c2", "pm_card_mastercard"),
                    lambda c: c.detached_unsaved_card("pm_x", "visa", "4242", 12, 2030,
                                                      by=ADMIN)):
        with pytest.raises(CustomerErased):
            command(customer)
    assert customer.collect_events() == []


def test_erasing_twice_records_nothing_more() -> None:
    # Given an erased customer
    customer = given(added("c1"), erased)
    # When they are erased again
    events = when(customer, erased)
    # Then nothing new is recorded
    assert events == []


def test_a_payment_not_finished_blocks_the_erasure_and_names_itself() -> None:
    # Given a payment started whose outcome is not recorded, and one that finished
    customer = given(added("c1"), payment_started("pay_done"),
                     lambda c: c.finish_payment("pay_done", ChargeResult(True, "pi_1"),
                                                by=ADMIN, idempotency_key="k-pay_done",
                                                request_hash="h-pay_done"),
                     payment_started("pay_open"))
    # When the customer is erased
    # Then the erasure is refused, naming the open payment only
    with pytest.raises(ErasureBlocked, match="pay_open") as refused:
        erased(customer)
    assert "pay_done" not in str(refused.value)
    assert customer.collect_events() == []


def test_erasing_a_customer_without_cards_or_autopay_records_only_the_erasure() -> None:
    customer = given()
    events = when(customer, erased)
    assert kinds(events) == ["Erased"]

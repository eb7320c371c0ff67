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


def autopay_charge(charge_id: str, *, settled: str | None) -> object:
    """An autopay charge of invoice inv-<id> whose first attempt on c1 was
    declined; settled with ``settled`` (None: the round is still in progress)."""
    from domain.autopay_events import (  # noqa: PLC0415
        AutopayAttemptFinished,
        AutopayAttemptStarted,
        AutopayChargeSettled,
        AutopayChargeStarted,
    )

    def step(c: object) -> None:
        stamp = c._stamp(ADMIN, None, None)  # type: ignore[attr-defined]
        c.trigger_event(AutopayChargeStarted, charge_id=charge_id,  # type: ignore[attr-defined]
                        invoice_id="inv-" + charge_id, amount=700, currency="usd",
                        consent_id="cns_a", initiated_by="merchant",
                        started_at=SOON.isoformat(), **stamp)
        c.trigger_event(AutopayAttemptStarted, charge_id=charge_id,  # type: ignore[attr-defined]
                        attempt_id="att-" + charge_id, card_id="c1", selection="autopay",
                        card_version=2, consent_id="cns_a", round=0,
                        in_flight_until=SOON.isoformat(), **stamp)
        if settled is None:
            return
        c.trigger_event(AutopayAttemptFinished, charge_id=charge_id,  # type: ignore[attr-defined]
                        attempt_id="att-" + charge_id, card_id="c1", outcome="declined",
                        decline_code="insufficient_funds", processor_payment_id=None, **stamp)
        c.trigger_event(AutopayChargeSettled, charge_id=charge_id,  # type: ignore[attr-defined]
                        invoice_id="inv-" + charge_id, amount=700, currency="usd",
                        status=settled, card_id="c1",
                        next_retry_at=None if settled == "failed" else SOON.isoformat(),
                        failure_code=None, **stamp)
    return step


def test_an_autopay_charge_in_progress_blocks_the_erasure() -> None:
    # Given autopay charges: one whose round is still in progress, one that failed
    customer = given(added("c1"), autopay_on, autopay_charge("apc_done", settled="failed"),
                     autopay_charge("apc_open", settled=None))
    # When the customer is erased
    # Then the erasure is refused, naming the charge in progress only
    with pytest.raises(ErasureBlocked, match="apc_open") as refused:
        erased(customer)
    assert "apc_done" not in str(refused.value)


def test_a_scheduled_autopay_retry_is_settled_as_failed_by_the_erasure() -> None:
    # Given one charge with a retry scheduled and one that already failed
    customer = given(added("c1"), autopay_on, autopay_charge("apc_later", settled="retry_scheduled"),
                     autopay_charge("apc_over", settled="failed"))
    # When the customer is erased
    events = when(customer, erased)
    # Then the scheduled one (only) is settled as failed for the erasure, first
    assert kinds(events) == ["AutopayChargeSettled", "AutopayDisabled", "CardDeleted", "Erased"]
    settled = events[0]
    assert (settled.charge_id, settled.status, settled.failure_code, settled.next_retry_at) == (
        "apc_later", "failed", "customer-erased", None)


def test_erasing_a_customer_without_cards_or_autopay_records_only_the_erasure() -> None:
    customer = given()
    events = when(customer, erased)
    assert kinds(events) == ["Erased"]

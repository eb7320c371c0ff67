"""Autopay charges through the ledger, on both stores: given cards and
consent, when the office charges, then the attempts and the outcome recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cardledger.wiring import Runtime
from domain.autopay_events import (
    AutopayAttemptFinished,
    AutopayAttemptStarted,
    AutopayChargeSettled,
    AutopayChargeStarted,
)
from domain.errors import (
    AutopayNotEnabled,
    IdempotencyKeyReused,
    InvoiceAlreadyPaid,
    OnlinePaymentsDisabled,
)
from tests.autopay.support import COMPANY, CUSTOMER, charge, customer_with
from tests.builders import ADMIN, OFFICE
from tests.conftest import Clock

SOFT = "pm_card_chargeDeclinedInsufficientFunds"
HARD = "pm_card_chargeDeclined"


def new_events(runtime: Runtime, since: int) -> list:
    return list(runtime.ledger.customer_events(COMPANY, CUSTOMER))[since:]


def version(runtime: Runtime) -> int:
    return runtime.ledger.get_customer(COMPANY, CUSTOMER).version


def test_a_charge_on_a_good_card_succeeds_under_the_consent(runtime: Runtime) -> None:
    cards = customer_with(runtime, "pm_card_visa")
    before = version(runtime)
    outcome = charge(runtime)
    assert outcome.charge.status == "succeeded"
    events = new_events(runtime, before)
    assert [type(e) for e in events] == [AutopayChargeStarted, AutopayAttemptStarted,
                                          AutopayAttemptFinished, AutopayChargeSettled]
    started, attempt = events[0], events[1]
    consent = runtime.ledger.autopay.of(COMPANY, CUSTOMER)[0].consent
    assert consent is not None
    assert (started.initiated_by, started.consent_id) == ("merchant", consent.consent_id)
    assert (attempt.card_id, attempt.selection, attempt.consent_id) == (
        cards[0], "autopay", consent.consent_id)
    # the card's own version: replaying the customer to it shows the card as charged
    charged_card = runtime.ledger.get_customer(COMPANY, CUSTOMER).cards[cards[0]]
    assert attempt.card_version == charged_card.version is not None
    assert events[2].processor_payment_id and events[3].card_id == cards[0]


def test_a_decline_falls_back_to_the_primary_then_the_newest_card(runtime: Runtime) -> None:
    # Autopay names the newest declining card; primary (oldest) declines too, middle pays.
    primary, middle, named = customer_with(runtime, HARD, "pm_card_visa", SOFT,
                                           autopay_card=2)
    outcome = charge(runtime)
    tried = [(a.card_id, a.selection, a.outcome, a.decline_code)
             for a in outcome.charge.attempts]
    assert tried == [(named, "autopay", "declined", "insufficient_funds"),
                     (primary, "fallback", "declined", "generic_decline"),
                     (middle, "fallback", "succeeded", None)]
    assert outcome.charge.status == "succeeded"
    assert outcome.charge.payment_method_id == middle


def test_without_fallback_a_soft_decline_schedules_the_first_retry(runtime: Runtime,
                                                                   clock: Clock) -> None:
    customer_with(runtime, SOFT, "pm_card_visa", fallback=False, schedule=(2, 5))
    outcome = charge(runtime)
    assert outcome.charge.status == "retry_scheduled"
    assert len(outcome.charge.attempts) == 1
    assert outcome.charge.next_retry_at == (clock.now + timedelta(days=2)).isoformat()


def test_a_hard_decline_with_nothing_left_fails(runtime: Runtime) -> None:
    customer_with(runtime, HARD, fallback=False)
    outcome = charge(runtime)
    assert (outcome.charge.status, outcome.charge.next_retry_at) == ("failed", None)


def test_every_card_declining_with_one_soft_decline_schedules_a_retry(runtime: Runtime) -> None:
    customer_with(runtime, HARD, SOFT)
    outcome = charge(runtime)
    assert [a.decline_code for a in outcome.charge.attempts] == ["generic_decline",
                                                                "insufficient_funds"]
    assert outcome.charge.status == "retry_scheduled"


def test_a_retry_is_made_when_due_and_not_before(runtime: Runtime, clock: Clock) -> None:
    customer_with(runtime, SOFT, "pm_card_visa", fallback=False, schedule=(1, 3))
    charge_id = charge(runtime).charge.charge_id
    assert runtime.ledger.autopay.make_retry(COMPANY, CUSTOMER, charge_id) is None
    clock.now += timedelta(days=1)
    second = runtime.ledger.autopay.make_retry(COMPANY, CUSTOMER, charge_id)
    assert second is not None and second.charge.status == "retry_scheduled"
    assert second.charge.round == 1
    assert second.charge.next_retry_at == (clock.now + timedelta(days=2)).isoformat()
    clock.now += timedelta(days=2)
    third = runtime.ledger.autopay.make_retry(COMPANY, CUSTOMER, charge_id)
    assert third is not None and third.charge.status == "failed"  # the schedule is used up
    assert [a.round for a in third.charge.attempts] == [0, 1, 2]
    assert runtime.ledger.autopay.make_retry(COMPANY, CUSTOMER, charge_id) is None


def test_a_retry_after_the_customer_fixed_the_card_succeeds(runtime: Runtime,
                                                            clock: Clock) -> None:
    customer_with(runtime, SOFT, fallback=False)
    charge_id = charge(runtime).charge.charge_id
    runtime.ledger.add_card(COMPANY, CUSTOMER, "pm_card_visa", make_primary=True, by=OFFICE)
    clock.now += timedelta(days=1)
    retried = runtime.ledger.autopay.make_retry(COMPANY, CUSTOMER, charge_id)
    assert retried is not None and retried.charge.status == "succeeded"


def test_a_charge_when_autopay_is_off_is_refused(runtime: Runtime) -> None:
    customer_with(runtime, "pm_card_visa")
    runtime.ledger.autopay.turn_off(COMPANY, CUSTOMER, by=OFFICE)
    with pytest.raises(AutopayNotEnabled):
        charge(runtime)


def test_a_charge_while_online_payments_are_off_is_refused(runtime: Runtime) -> None:
    customer_with(runtime, "pm_card_visa")
    runtime.ledger.set_online_payments(COMPANY, False, ADMIN)
    with pytest.raises(OnlinePaymentsDisabled):
        charge(runtime)


def test_a_scheduled_retry_after_autopay_was_turned_off_fails_uncharged(
        runtime: Runtime, clock: Clock) -> None:
    customer_with(runtime, SOFT, fallback=False)
    charge_id = charge(runtime).charge.charge_id
    runtime.ledger.autopay.turn_off(COMPANY, CUSTOMER, by=OFFICE)
    clock.now += timedelta(days=1)
    retried = runtime.ledger.autopay.make_retry(COMPANY, CUSTOMER, charge_id)
    assert retried is not None
    assert (retried.charge.status, retried.charge.failure_code) == ("failed",
                                                                    "autopay-not-enabled")
    assert len(retried.charge.attempts) == 1


def test_the_same_key_answers_the_same_charge_and_charges_once(runtime: Runtime) -> None:
    customer_with(runtime, "pm_card_visa")
    first = charge(runtime)
    again = charge(runtime)
    assert again.replayed and again.charge == first.charge
    assert len(runtime.ledger.processor.attempts) == 1  # type: ignore[attr-defined]
    with pytest.raises(IdempotencyKeyReused):
        charge(runtime, amount=6000)


def test_an_invoice_charged_by_autopay_is_not_charged_again_under_a_new_key(
        runtime: Runtime) -> None:
    customer_with(runtime, "pm_card_visa")
    charge(runtime)
    with pytest.raises(InvoiceAlreadyPaid):
        charge(runtime, key="charge-2")


def test_an_expired_autopay_card_is_skipped_for_an_unexpired_one(runtime: Runtime,
                                                                 clock: Clock) -> None:
    cards = customer_with(runtime, "pm_card_visa", "pm_card_amex", autopay_card=0)
    # The networks' account updater says the named card expired last month.
    runtime.ledger.record_processor_update(
        f"cus_sandbox.{COMPANY}.{CUSTOMER}", "pm_card_visa", last4="4242", exp_month=10,
        exp_year=2026, reason="expired", event_id="evt-1")
    outcome = charge(runtime)
    assert [(a.card_id, a.selection) for a in outcome.charge.attempts] == [(cards[1],
                                                                            "autopay")]


def test_autopay_state_survives_the_customers_snapshots(runtime: Runtime, clock: Clock) -> None:
    # given more than one snapshot interval (50 events) of autopay history
    customer_with(runtime, SOFT, "pm_card_visa", fallback=False, schedule=(1,))
    charge(runtime, key="soft", invoice="INV-soft")
    for n in range(25):
        runtime.ledger.autopay.turn_off(COMPANY, CUSTOMER, by=OFFICE)
        runtime.ledger.autopay.enrol(COMPANY, CUSTOMER, card_id=None,
                                     consent_text_version=f"v{n}", consent_channel="paper",
                                     by=OFFICE)
    assert version(runtime) > 50
    # when the customer is loaded (from its newest snapshot) and replayed from events alone
    loaded = runtime.ledger.get_customer(COMPANY, CUSTOMER)
    replayed = None
    for event in runtime.ledger.customer_events(COMPANY, CUSTOMER):
        replayed = event.mutate(replayed)
    # then both hold the same autopay, charges and consent
    assert runtime.ledger.snapshots is not None
    assert list(runtime.ledger.snapshots.get(loaded.id))
    for attribute in ("autopay", "autopay_charges"):
        assert loaded.__dict__[attribute] == replayed.__dict__[attribute]  # type: ignore[union-attr]
    clock.now += timedelta(days=1)
    [charge_id] = loaded.__dict__["autopay_charges"]
    retried = runtime.ledger.autopay.make_retry(COMPANY, CUSTOMER, charge_id)
    assert retried is not None and retried.charge.round == 1


def test_a_card_the_processor_no_longer_knows_is_a_hard_decline_and_the_round_goes_on(
        runtime: Runtime) -> None:
    gone, visa = customer_with(runtime, "pm_card_amex", "pm_card_visa")
    runtime.ledger.processor.cards.pop("pm_card_amex")  # type: ignore[attr-defined]
    outcome = charge(runtime)
    assert [(a.card_id, a.decline_code) for a in outcome.charge.attempts] == [
        (gone, "unknown-token"), (visa, None)]
    assert outcome.charge.status == "succeeded"

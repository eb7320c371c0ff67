"""The Stripe processor against localstripe, through the service (SQLite).

Payment methods are made from Stripe's public test card numbers the way
Stripe.js makes them in the portal; cardledger only ever gets their ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from cardledger.processors.stripe import PAYMENT_ID_KEY, StripeProcessor
from cardledger.wiring import Runtime, open_runtime
from domain.errors import (
    CardAlreadySaved,
    CardDeclined,
    CardExpired,
    CustomerNotFound,
    UnknownToken,
)
from domain.paying import PaymentOutcome
from domain.provenance import Provenance
from tests.conftest import Clock
from tests.payments.faults import CrashAfterCharge, SimulatedCrash
from tests.stripe_server import card_token, charges_of, stripe_settings

pytestmark = pytest.mark.stripe

ME = Provenance("customer:1001", "portal")
ADMIN = Provenance("user:admin", "admin")
VISA = "4242424242424242"
MASTERCARD = "5555555555554444"
DECLINED_AT_ATTACH = "4000000000000002"
DECLINED_AT_CHARGE = "4000000000000341"
NEEDS_3DS = "4000002760003184"


@pytest.fixture
def runtime(localstripe_url: str, tmp_path: Path, clock: Clock) -> Iterator[Runtime]:
    """Given online payments on, with cardledger talking to localstripe."""
    settings = stripe_settings(localstripe_url, tmp_path / "data")
    with open_runtime(settings, clock=clock, run_projector=False) as rt:
        assert isinstance(rt.ledger.processor, StripeProcessor)
        rt.ledger.set_online_payments("acme", True, ADMIN)
        yield rt


def add(runtime: Runtime, token: str) -> str:
    card_id = runtime.ledger.add_card("acme", "1001", token, by=ME).card_id
    assert card_id
    return card_id


def stripe_customer(runtime: Runtime) -> str:
    ref = runtime.ledger.get_customer("acme", "1001").processor_customer_id
    assert ref
    return ref


def pay(runtime: Runtime, key: str, card_id: str | None = None) -> PaymentOutcome:
    return runtime.ledger.pay_invoice("acme", "1001", invoice_id="INV-7", amount=12_50,
                                      currency="usd", card_id=card_id, by=ME,
                                      idempotency_key=key)


def test_card_details_come_from_stripe(stripe_processor: StripeProcessor,
                                       stripe_api: stripe.StripeClient) -> None:
    token = card_token(stripe_api, VISA, (7, 2031))
    details = stripe_processor.retrieve(token)
    assert (details.last4, details.exp_month, details.exp_year) == ("4242", 7, 2031)
    assert details.payment_method_id == token and len(details.fingerprint) == 16


def test_the_same_card_number_has_the_same_fingerprint_in_every_payment_method(
        stripe_processor: StripeProcessor, stripe_api: stripe.StripeClient) -> None:
    first, second, other = (stripe_processor.retrieve(card_token(stripe_api, n))
                            for n in (VISA, VISA, MASTERCARD))
    assert first.fingerprint == second.fingerprint != other.fingerprint


def test_a_token_stripe_does_not_know_is_unknown(stripe_processor: StripeProcessor) -> None:
    with pytest.raises(UnknownToken):
        stripe_processor.retrieve("pm_nothing_like_it")


def test_a_saved_card_is_attached_to_a_stripe_customer_that_names_its_owner(
        runtime: Runtime, stripe_api: stripe.StripeClient) -> None:
    token = card_token(stripe_api, VISA)
    add(runtime, token)
    ref = stripe_customer(runtime)
    assert stripe_api.v1.payment_methods.retrieve(token).customer == ref
    assert runtime.ledger.processor.customer_owner(ref) == ("acme", "1001")


def test_a_test_token_alias_is_saved_under_the_lasting_payment_method_id(
        runtime: Runtime, stripe_api: stripe.StripeClient) -> None:
    card_id = add(runtime, "pm_card_visa")
    saved = runtime.ledger.get_customer("acme", "1001").cards[card_id].processor_token
    assert saved != "pm_card_visa" and saved.startswith("pm_")
    assert stripe_api.v1.payment_methods.retrieve(saved).customer == stripe_customer(runtime)


def test_the_same_card_twice_is_a_duplicate_and_the_second_is_not_attached(
        runtime: Runtime, stripe_api: stripe.StripeClient) -> None:
    add(runtime, card_token(stripe_api, VISA))
    again = card_token(stripe_api, VISA)
    with pytest.raises(CardAlreadySaved):
        add(runtime, again)
    assert stripe_api.v1.payment_methods.retrieve(again).customer is None


def test_an_expired_card_is_refused_and_nothing_is_recorded(
        runtime: Runtime, stripe_api: stripe.StripeClient) -> None:
    with pytest.raises(CardExpired):
        add(runtime, card_token(stripe_api, VISA, (1, 2020)))
    with pytest.raises(CustomerNotFound):
        runtime.ledger.customer_events("acme", "1001")


def test_a_card_stripe_declines_to_keep_is_refused_and_nothing_is_recorded(
        runtime: Runtime, stripe_api: stripe.StripeClient) -> None:
    with pytest.raises(CardDeclined):
        add(runtime, card_token(stripe_api, DECLINED_AT_ATTACH))
    with pytest.raises(CustomerNotFound):
        runtime.ledger.customer_events("acme", "1001")


def test_a_deleted_card_is_detached_at_stripe(runtime: Runtime,
                                              stripe_api: stripe.StripeClient) -> None:
    token = card_token(stripe_api, VISA)
    card_id = add(runtime, token)
    runtime.ledger.delete_card("acme", "1001", card_id, by=ME)
    assert stripe_api.v1.payment_methods.retrieve(token).customer is None


def test_an_invoice_is_charged_off_session_to_the_primary_card(
        runtime: Runtime, stripe_api: stripe.StripeClient) -> None:
    primary = card_token(stripe_api, VISA)
    add(runtime, primary)
    add(runtime, card_token(stripe_api, MASTERCARD))
    outcome = pay(runtime, "key-1")
    [charge] = charges_of(stripe_api, stripe_customer(runtime))
    assert outcome.payment.status == "succeeded"
    assert (charge.payment_method, charge.amount, charge.currency) == (primary, 12_50, "usd")
    intent = stripe_api.v1.payment_intents.retrieve(charge.payment_intent)
    assert intent.id == outcome.payment.processor_payment_id
    assert intent.metadata[PAYMENT_ID_KEY] == outcome.payment.payment_id


def test_an_invoice_is_charged_to_the_chosen_card(
        runtime: Runtime, stripe_api: stripe.StripeClient) -> None:
    add(runtime, card_token(stripe_api, VISA))
    chosen = card_token(stripe_api, MASTERCARD)
    pay(runtime, "key-1", add(runtime, chosen))
    assert [c.payment_method for c in charges_of(stripe_api, stripe_customer(runtime))] == [chosen]


@pytest.mark.parametrize(("number", "code"), [
    (DECLINED_AT_CHARGE, "generic_decline"),
    (NEEDS_3DS, "authentication_required"),
])
def test_a_declined_charge_is_recorded_with_its_stable_code(
        runtime: Runtime, stripe_api: stripe.StripeClient, number: str, code: str) -> None:
    outcome = pay(runtime, "key-1", add(runtime, card_token(stripe_api, number)))
    assert (outcome.payment.status, outcome.payment.decline_code) == ("failed", code)


def test_a_retried_payment_charges_once_although_localstripe_ignores_idempotency_keys(
        runtime: Runtime, stripe_api: stripe.StripeClient) -> None:
    add(runtime, card_token(stripe_api, VISA))
    pay(runtime, "key-1")
    pay(runtime, "key-1")
    assert len(charges_of(stripe_api, stripe_customer(runtime))) == 1


def test_a_crash_between_the_charge_and_the_append_never_charges_twice(
        runtime: Runtime, stripe_api: stripe.StripeClient) -> None:
    add(runtime, card_token(stripe_api, VISA))
    real = runtime.ledger.processor
    runtime.ledger.processor = CrashAfterCharge(real)
    with pytest.raises(SimulatedCrash):
        pay(runtime, "key-1")
    runtime.ledger.processor = real  # the process restarts; the client retries
    outcome = pay(runtime, "key-1")
    [charge] = charges_of(stripe_api, stripe_customer(runtime))
    assert outcome.payment.status == "succeeded"
    assert outcome.payment.processor_payment_id == charge.payment_intent


def test_a_crash_after_a_declined_charge_is_recovered_as_declined(
        runtime: Runtime, stripe_api: stripe.StripeClient) -> None:
    card_id = add(runtime, card_token(stripe_api, DECLINED_AT_CHARGE))
    real = runtime.ledger.processor
    runtime.ledger.processor = CrashAfterCharge(real)
    with pytest.raises(SimulatedCrash):
        pay(runtime, "key-1", card_id)
    runtime.ledger.processor = real
    outcome = pay(runtime, "key-1", card_id)
    assert outcome.payment.status == "failed"
    assert outcome.payment.decline_code == "generic_decline"
    assert len(charges_of(stripe_api, stripe_customer(runtime))) == 1


def test_an_account_updater_change_is_recorded_for_the_owner_of_the_stripe_customer(
        runtime: Runtime, stripe_api: stripe.StripeClient) -> None:
    token = card_token(stripe_api, VISA)
    card_id = add(runtime, token)
    outcome = runtime.ledger.record_processor_update(
        stripe_customer(runtime), token, last4="4242", exp_month=9, exp_year=2035,
        reason="account-updater", event_id="evt_1")
    assert outcome is not None and outcome.card_id == card_id
    assert runtime.ledger.get_customer("acme", "1001").cards[card_id].exp_year == 2035


def test_a_stripe_customer_cardledger_did_not_create_has_no_owner(
        stripe_processor: StripeProcessor, stripe_api: stripe.StripeClient) -> None:
    stranger = stripe_api.v1.customers.create(params={"metadata": {"crm": "42"}}).id
    assert stripe_processor.customer_owner(stranger) is None
    assert stripe_processor.customer_owner("cus_nobody") is None

"""A Stripe that answers too late, or with a 500: the service says the
processor is unavailable and records nothing it cannot stand behind."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import stripe

from cardledger.processors.stripe import StripeProcessor
from cardledger.wiring import Runtime, open_runtime
from domain.errors import CustomerNotFound, ProcessorUnavailable
from domain.paying import PaymentOutcome
from domain.provenance import Provenance
from tests.api.conftest import api_for, base_settings, serving
from tests.conftest import Clock
from tests.stripe_server import SlowServer, card_token, charges_of, stripe_settings

pytestmark = pytest.mark.stripe

ME = Provenance("customer:1001", "portal")
ADMIN = Provenance("user:admin", "admin")


@pytest.fixture
def late(slow_stripe: SlowServer, tmp_path: Path) -> StripeProcessor:
    """Stripe behind a 0.5 s timeout, answering after 3 s."""
    return StripeProcessor.from_settings(
        stripe_settings(slow_stripe.url, tmp_path, processor_timeout=0.5))


@pytest.fixture
def runtime(localstripe_url: str, tmp_path: Path, clock: Clock) -> Iterator[Runtime]:
    with open_runtime(stripe_settings(localstripe_url, tmp_path / "data"), clock=clock,
                      run_projector=False) as rt:
        rt.ledger.set_online_payments("acme", True, ADMIN)
        yield rt


def test_a_card_cannot_be_added_while_stripe_times_out_and_nothing_is_recorded(
        runtime: Runtime, late: StripeProcessor, slow_stripe: SlowServer) -> None:
    runtime.ledger.processor = late
    with pytest.raises(ProcessorUnavailable) as unavailable:
        runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    assert unavailable.value.retry_after > 0 and slow_stripe.requests == 1
    with pytest.raises(CustomerNotFound):
        runtime.ledger.customer_events("acme", "1001")


def test_a_processor_update_cannot_be_resolved_while_stripe_times_out(
        runtime: Runtime, late: StripeProcessor) -> None:
    runtime.ledger.processor = late
    with pytest.raises(ProcessorUnavailable):
        runtime.ledger.record_processor_update("cus_1", "pm_1", last4="4242", exp_month=1,
                                               exp_year=2030, reason="account-updater",
                                               event_id="evt_1")


def test_a_payment_that_timed_out_is_charged_once_by_a_retry_after_its_window(
        runtime: Runtime, late: StripeProcessor, stripe_api: stripe.StripeClient,
        clock: Clock) -> None:
    runtime.ledger.add_card("acme", "1001", card_token(stripe_api, "4242424242424242"), by=ME)
    real = runtime.ledger.processor
    runtime.ledger.processor = late

    def pay() -> PaymentOutcome:
        return runtime.ledger.pay_invoice("acme", "1001", invoice_id="INV-7", amount=500,
                                          currency="usd", by=ME, idempotency_key="key-1")

    with pytest.raises(ProcessorUnavailable):
        pay()
    kinds = [type(e).__name__ for e in runtime.ledger.customer_events("acme", "1001")]
    assert kinds[-1] == "PaymentStarted"  # the attempt, with no outcome: nothing was charged
    runtime.ledger.processor = real
    clock.now += timedelta(seconds=61)
    outcome = pay()
    ref = runtime.ledger.get_customer("acme", "1001").processor_customer_id or ""
    assert outcome.payment.status == "succeeded"
    assert len(charges_of(stripe_api, ref)) == 1


def test_the_api_answers_503_with_retry_after_and_records_nothing_while_stripe_times_out(
        late: StripeProcessor, tmp_path: Path) -> None:
    with serving(base_settings(tmp_path), processor=late) as live:
        api = api_for(live)
        api.given_online_payments()
        answer = api.add_card("cu1", "pm_card_visa")
        listed = api.cards("cu1")
        api.close()
    assert (answer.status_code, answer.json()["code"]) == (503, "processor-unavailable")
    assert answer.headers["content-type"] == "application/problem+json"
    assert int(answer.headers["Retry-After"]) > 0
    assert listed.status_code == 404


def test_a_stripe_that_fails_with_500_is_unavailable_and_nothing_is_recorded(
        runtime: Runtime, failing_stripe: SlowServer, tmp_path: Path) -> None:
    runtime.ledger.processor = StripeProcessor.from_settings(
        stripe_settings(failing_stripe.url, tmp_path))
    with pytest.raises(ProcessorUnavailable):
        runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    with pytest.raises(CustomerNotFound):
        runtime.ledger.customer_events("acme", "1001")

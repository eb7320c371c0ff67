"""Amounts reach Stripe (localstripe) in Stripe's unit: cardledger counts ISO
4217 minor units, Stripe counts whole ariary and two-decimal krónur. Given a
customer with a saved card at localstripe, when an invoice is paid in such a
currency, then localstripe holds a charge of the converted amount."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from cardledger.wiring import Runtime, open_runtime
from domain.provenance import Provenance
from tests.conftest import Clock
from tests.stripe_server import (
    card_token,
    charges_of,
    localstripe_url,
    stripe_api,
    stripe_settings,
)

__all__ = ["localstripe_url", "stripe_api"]  # fixtures
pytestmark = pytest.mark.stripe

ME = Provenance("customer:1001", "portal")
ADMIN = Provenance("user:admin", "admin")


@pytest.fixture
def runtime(localstripe_url: str, tmp_path: Path, clock: Clock,
            stripe_api: stripe.StripeClient) -> Iterator[Runtime]:
    """Given online payments on and a customer with a Visa saved at localstripe."""
    settings = stripe_settings(localstripe_url, tmp_path / "data")
    with open_runtime(settings, clock=clock, run_projector=False) as rt:
        rt.ledger.set_online_payments("acme", True, ADMIN)
        rt.ledger.add_card("acme", "1001", card_token(stripe_api, "4242424242424242"), by=ME)
        yield rt


@pytest.mark.parametrize(("amount", "currency", "at_stripe"), [
    (12_50, "usd", 12_50),
    (5_000, "jpy", 5_000),
    (1_230, "kwd", 1_230),
    (7_500, "isk", 750_000),  # 7,500 kronur
    (250_000, "mga", 2_500),  # 2,500 ariary
])
def test_the_charge_at_stripe_is_the_same_sum_in_stripes_unit(
        runtime: Runtime, stripe_api: stripe.StripeClient, amount: int, currency: str,
        at_stripe: int) -> None:
    outcome = runtime.ledger.pay_invoice("acme", "1001", invoice_id="INV-1", amount=amount,
                                         currency=currency, by=ME, idempotency_key="key-1")
    ref = runtime.ledger.get_customer("acme", "1001").processor_customer_id or ""
    [charge] = charges_of(stripe_api, ref)
    assert (outcome.payment.status, outcome.payment.amount) == ("succeeded", amount)
    assert (charge.amount, charge.currency) == (at_stripe, currency)

"""The API with the Stripe processor against localstripe, over real HTTP:
cards and payments as the portal sees them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from cardledger.processors.stripe import StripeProcessor
from tests.api.client import Api
from tests.api.conftest import Live, fresh_id, serving
from tests.stripe_server import (
    card_event,
    card_token,
    charges_of,
    stripe_settings,
    stripe_signature,
)

pytestmark = pytest.mark.stripe

SECRET = "whsec_test_cardledger"
VISA = "4242424242424242"


@pytest.fixture(scope="module")
def live(localstripe_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    settings = stripe_settings(localstripe_url, tmp_path_factory.mktemp("stripe-api"),
                               stripe_webhook_secret=SECRET, api_rate_limit_per_second=0.0)
    with serving(settings, processor=StripeProcessor.from_settings(settings)) as live:
        yield live


def stripe_customer(stripe_api: stripe.StripeClient, token: str) -> str:
    return str(stripe_api.v1.payment_methods.retrieve(token).customer)


def pay(api: Api, customer: str, key: str, **body: Any) -> httpx.Response:
    return api._command("POST", f"{api.company_path()}/customers/{customer}/payments",
                        customer=customer, as_="portal", actor=None, idempotency_key=key,
                        json={"invoice_id": "INV-9", "amount": 40_00, "currency": "usd", **body})


def test_a_card_saved_through_the_api_shows_stripes_details(
        api: Api, stripe_api: stripe.StripeClient) -> None:
    customer = fresh_id("cu")
    answer = api.add_card(customer, card_token(stripe_api, VISA, (6, 2032)))
    assert answer.status_code == 201, answer.text
    card = answer.json()
    assert (card["last4"], card["exp_month"], card["exp_year"], card["is_primary"]) == (
        "4242", 6, 2032, True)


@pytest.mark.parametrize(("number", "exp", "status", "code"), [
    ("4000000000000002", (12, 2031), 422, "card-declined"),
    (VISA, (1, 2020), 422, "card-expired"),
])
def test_a_card_stripe_or_the_rules_refuse_is_a_problem(
        api: Api, stripe_api: stripe.StripeClient, number: str, exp: tuple[int, int],
        status: int, code: str) -> None:
    answer = api.add_card(fresh_id("cu"), card_token(stripe_api, number, exp))
    assert (answer.status_code, answer.json()["code"]) == (status, code)


def test_a_token_stripe_does_not_know_is_a_422(api: Api) -> None:
    answer = api.add_card(fresh_id("cu"), "pm_unknown_to_stripe")
    assert (answer.status_code, answer.json()["code"]) == (422, "unknown-token")


def test_the_same_card_saved_twice_is_a_409(api: Api, stripe_api: stripe.StripeClient) -> None:
    customer = fresh_id("cu")
    api.given_card(customer, card_token(stripe_api, VISA))
    answer = api.add_card(customer, card_token(stripe_api, VISA))
    assert (answer.status_code, answer.json()["code"]) == (409, "card-already-saved")


def test_a_payment_retried_over_http_charges_stripe_once(
        api: Api, stripe_api: stripe.StripeClient) -> None:
    customer, token = fresh_id("cu"), card_token(stripe_api, VISA)
    api.given_card(customer, token)
    first = pay(api, customer, "pay-1")
    again = pay(api, customer, "pay-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and first.json()["status"] == "succeeded"
    [charge] = charges_of(stripe_api, stripe_customer(stripe_api, token))
    assert charge.payment_intent == first.json()["processor_payment_id"]


def test_a_charge_stripe_declines_is_a_failed_payment(
        api: Api, stripe_api: stripe.StripeClient) -> None:
    customer = fresh_id("cu")
    api.given_card(customer, card_token(stripe_api, "4000000000000341"))
    answer = pay(api, customer, "pay-1")
    assert (answer.json()["status"], answer.json()["decline_code"]) == (
        "failed", "generic_decline")


def test_an_account_updater_event_from_stripe_updates_a_card_saved_through_stripe(
        api: Api, stripe_api: stripe.StripeClient) -> None:
    customer, token = fresh_id("cu"), card_token(stripe_api, VISA)
    api.given_card(customer, token)
    body = card_event("evt_s1", stripe_customer(stripe_api, token), token, exp=(8, 2038))
    answer = api.http.post("/v1/webhooks/stripe", content=body,
                           headers={"Stripe-Signature": stripe_signature(body, SECRET)})
    assert answer.json() == {"received": True, "recorded": True}
    card = api.cards(customer).json()["payment_methods"][0]
    assert (card["exp_month"], card["exp_year"]) == (8, 2038)

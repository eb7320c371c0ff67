"""Card entry with Stripe: the API hands out a SetupIntent's client secret for
Stripe.js; the card is confirmed at Stripe (here localstripe) and added by
the pm_... it gives, so its number never reaches cardledger."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from cardledger.processors.stripe import StripeProcessor
from tests.api.client import Api
from tests.api.conftest import Live, api_for, fresh_id, serving
from tests.stripe_server import stripe_settings

pytestmark = pytest.mark.stripe


@pytest.fixture(scope="module")
def live(localstripe_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    settings = stripe_settings(localstripe_url, tmp_path_factory.mktemp("card-setup"),
                               stripe_publishable_key="pk_test_cardledger",
                               api_rate_limit_per_second=0.0)
    with serving(settings, processor=StripeProcessor.from_settings(settings)) as live:
        yield live


def setup(api: Api, customer: str):  # noqa: ANN201 (httpx.Response)
    return api.request("POST", f"{api.cards_path(customer)}/setup", as_="portal")


def test_card_entry_gives_a_setup_intent_for_stripe_js_and_the_publishable_key(
        api: Api, stripe_api: stripe.StripeClient) -> None:
    customer = fresh_id("cu")
    body = setup(api, customer).json()
    assert (body["processor"], body["publishable_key"], body["test_cards"]) == (
        "stripe", "pk_test_cardledger", [])
    intent_id = body["client_secret"].partition("_secret_")[0]
    intent = stripe_api.v1.setup_intents.retrieve(intent_id)
    assert (intent.status, intent.usage) == ("requires_payment_method", "off_session")
    assert intent.metadata.to_dict() == {"cardledger_company_id": api.company,
                                     "cardledger_customer_id": customer}


def test_a_card_confirmed_on_the_setup_intent_is_added_by_its_payment_method(
        api: Api, stripe_api: stripe.StripeClient) -> None:
    api.given_online_payments()
    customer = fresh_id("cu")
    secret = setup(api, customer).json()["client_secret"]
    # What Stripe.js's confirmCardSetup does in the browser, straight at Stripe.
    intent = stripe_api.v1.setup_intents.confirm(secret.partition("_secret_")[0], params={
        "client_secret": secret, "payment_method_data": {  # type: ignore[typeddict-unknown-key]
            "type": "card", "card": {"number": "4242424242424242", "exp_month": 12,
                                     "exp_year": 2034, "cvc": "123"}}})
    assert intent.status == "succeeded"
    added = api.add_card(customer, str(intent.payment_method))
    assert added.status_code == 201, added.text
    assert added.json()["last4"] == "4242"


def test_without_a_publishable_key_card_entry_is_not_configured(
        localstripe_url: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    settings = stripe_settings(localstripe_url, tmp_path_factory.mktemp("no-pk"))
    with serving(settings, processor=StripeProcessor.from_settings(settings)) as live:
        api = api_for(live)
        answer = setup(api, fresh_id("cu"))
        api.close()
    assert (answer.status_code, answer.json()["code"]) == (503, "card-setup-not-configured")
    assert "CARDLEDGER_STRIPE_PUBLISHABLE_KEY" in answer.json()["detail"]

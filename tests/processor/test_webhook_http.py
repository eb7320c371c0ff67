"""POST /v1/webhooks/stripe over real HTTP: signed card updates are recorded
once, by the processor; everything else is refused or acknowledged."""

from __future__ import annotations

from collections.abc import Iterator
import time
from pathlib import Path

import httpx
import pytest

from tests.api.client import Api
from tests.api.conftest import Live, base_settings, fresh_id, serving
from tests.stripe_server import card_event, stripe_signature

SECRET = "whsec_test_cardledger"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    settings = base_settings(tmp_path_factory.mktemp("webhooks"), stripe_webhook_secret=SECRET)
    with serving(settings) as live:
        yield live


@pytest.fixture
def customer(api: Api) -> str:
    """Given a customer who saved a Visa expiring 12/2034 (sandbox)."""
    customer = fresh_id("cu")
    api.given_card(customer, "pm_card_visa")
    return customer


def deliver(api: Api, body: bytes, secret: str = SECRET) -> httpx.Response:
    return api.http.post("/v1/webhooks/stripe", content=body, headers={
        "Stripe-Signature": stripe_signature(body, secret), "Content-Type": "application/json"})


def sandbox_ref(api: Api, customer: str) -> str:
    return f"cus_sandbox.{api.company}.{customer}"


def test_a_signed_account_updater_event_updates_the_card_as_the_processor(
        api: Api, customer: str) -> None:
    body = card_event("evt_a1", sandbox_ref(api, customer), "pm_card_visa", exp=(5, 2037))
    answer = deliver(api, body)
    assert answer.status_code == 200 and answer.json() == {"received": True, "recorded": True}
    card = api.cards(customer).json()["payment_methods"][0]
    assert (card["exp_month"], card["exp_year"]) == (5, 2037)
    newest = api.history(customer).json()["history"][0]
    assert (newest["action"], newest["actor"], newest["source"], newest["detail"]) == (
        "updated", "system:processor", "processor", "account-updater")


def test_a_redelivered_event_is_recorded_once(api: Api, customer: str) -> None:
    body = card_event("evt_a2", sandbox_ref(api, customer), "pm_card_visa", exp=(5, 2037))
    assert deliver(api, body).json()["recorded"] is True
    again = deliver(api, body)
    assert again.status_code == 200 and again.json()["recorded"] is False
    actions = [h["action"] for h in api.history(customer).json()["history"]]
    assert actions.count("updated") == 1


def test_an_event_with_a_wrong_signature_is_refused_and_changes_nothing(
        api: Api, customer: str) -> None:
    body = card_event("evt_a3", sandbox_ref(api, customer), "pm_card_visa", exp=(5, 2037))
    answer = deliver(api, body, secret="whsec_forged")
    assert answer.status_code == 400
    assert answer.json()["code"] == "bad-webhook-signature"
    assert api.cards(customer).json()["payment_methods"][0]["exp_year"] == 2034


def test_an_unsigned_event_is_refused(api: Api, customer: str) -> None:
    body = card_event("evt_a4", sandbox_ref(api, customer), "pm_card_visa", exp=(5, 2037))
    answer = api.http.post("/v1/webhooks/stripe", content=body)
    assert answer.status_code == 400


def test_an_event_about_a_card_cardledger_does_not_hold_is_acknowledged(api: Api) -> None:
    body = card_event("evt_a5", "cus_sandbox.nobody.nobody", "pm_card_visa", exp=(5, 2037))
    answer = deliver(api, body)
    assert answer.status_code == 200 and answer.json()["recorded"] is False


def test_an_event_of_another_type_is_acknowledged(api: Api, customer: str) -> None:
    body = card_event("evt_a6", sandbox_ref(api, customer), "pm_card_visa", exp=(5, 2037),
                      kind="charge.succeeded")
    answer = deliver(api, body)
    assert answer.status_code == 200 and answer.json()["recorded"] is False


def test_without_a_configured_secret_the_webhook_is_unavailable(tmp_path: Path) -> None:
    with serving(base_settings(tmp_path)) as live:
        body = card_event("evt_a7", "cus_1", "pm_1", exp=(5, 2037))
        answer = httpx.post(f"{live.url}/v1/webhooks/stripe", content=body,
                            headers={"Stripe-Signature": stripe_signature(body, SECRET)})
    assert answer.status_code == 503 and "Retry-After" in answer.headers



def test_an_update_older_than_the_cards_last_one_is_recorded_as_ignored(
        api: Api, customer: str) -> None:
    """Given the account updater's newer change delivered first, when an older
    change (Stripe's `created`) arrives late, then it is recorded, not applied."""
    now = int(time.time())
    newer = card_event("evt_o2", sandbox_ref(api, customer), "pm_card_visa", exp=(5, 2037),
                       created=now)
    older = card_event("evt_o1", sandbox_ref(api, customer), "pm_card_visa", exp=(3, 2036),
                       created=now - 60)
    assert deliver(api, newer).json()["recorded"] is True
    late = deliver(api, older)
    assert late.status_code == 200 and late.json() == {"received": True, "recorded": True}
    card = api.cards(customer).json()["payment_methods"][0]
    assert (card["exp_month"], card["exp_year"]) == (5, 2037)
    newest = api.history(customer).json()["history"][0]
    assert (newest["action"], newest["actor"]) == ("update_ignored", "system:processor")
    assert newest["detail"].startswith("account-updater of ") and "ignored: older than" in newest["detail"]

"""What a browser client (the /ui/ pages) needs from the API: who its key is,
how to collect a card without cardledger seeing the number, and a check of
one customer's card list against its events."""

from __future__ import annotations

import pytest

from api.auth import ROLES
from tests.api.client import Api
from tests.api.conftest import Live


@pytest.mark.parametrize("role", ROLES)
def test_a_key_learns_its_company_and_role(api: Api, role: str) -> None:
    answer = api.request("GET", "/v1/me", as_=role)
    assert answer.status_code == 200
    assert answer.json()["company"] == api.company
    assert answer.json()["role"] == role
    assert api.request("GET", "/v1/me", as_=f"any_{role}").json()["company"] == "*"


def test_an_unknown_key_learns_nothing(api: Api) -> None:
    answer = api.request("GET", "/v1/me", headers={"Authorization": "Bearer " + "x" * 24})
    assert (answer.status_code, answer.json()["code"]) == (401, "unauthorized")


def setup(api: Api, customer: str, as_: str = "portal"):  # noqa: ANN201 (httpx.Response)
    return api.request("POST", f"{api.cards_path(customer)}/setup", as_=as_)


@pytest.mark.parametrize("role", ["portal", "office"])
def test_with_the_sandbox_card_entry_offers_the_test_cards_by_name_and_records_nothing(
        api: Api, customer: str, role: str) -> None:
    answer = setup(api, customer, as_=role)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["processor"], body["client_secret"], body["publishable_key"]) == (
        "sandbox", None, None)
    labels = {card["token"]: card["label"] for card in body["test_cards"]}
    assert labels["pm_card_visa"] == "Visa credit ending 4242, expires 12/2034"
    assert labels["pm_card_chargeDeclinedInsufficientFunds"] == (
        "Visa credit ending 9995, expires 12/2034 (declined when charged: insufficient funds)")
    assert api.cards(customer).status_code == 404  # no customer was registered


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_only_keys_that_add_cards_may_start_card_entry(api: Api, customer: str,
                                                       role: str) -> None:
    answer = setup(api, customer, as_=role)
    assert (answer.status_code, answer.json()["code"]) == (403, "wrong-role")


def test_card_entry_for_another_company_is_refused(api: Api, customer: str) -> None:
    answer = setup(api, customer, as_="other_portal")
    assert (answer.status_code, answer.json()["code"]) == (403, "wrong-company")


def verification(api: Api, customer: str, as_: str = "auditor"):  # noqa: ANN201
    return api.request("GET", f"{api.company_path()}/customers/{customer}/verification", as_=as_)


def test_verifying_a_customer_whose_card_list_matches_its_events_says_consistent(
        api: Api, customer: str) -> None:
    api.given_online_payments()
    api.given_card(customer, "pm_card_visa")
    api.given_card(customer, "pm_card_mastercard", make_primary=True)
    answer = verification(api, customer)
    assert answer.status_code == 200
    assert answer.json() == {"consistent": True, "version": 6, "differences": []}


def test_verifying_a_customer_whose_card_list_was_changed_says_where(
        live: Live, api: Api, customer: str) -> None:
    api.given_online_payments()
    api.given_card(customer, "pm_card_visa")
    with live.runtime.read_model.db.transaction() as tx:
        tx.execute("UPDATE cl_payment_methods SET last4 = '0000' WHERE customer_id = :customer",
                   {"customer": customer})
    body = verification(api, customer).json()
    assert body["consistent"] is False
    assert len(body["differences"]) == 1
    assert body["differences"][0].endswith("last4 view='0000' replay='4242'")


def test_only_auditors_verify_and_an_unknown_customer_is_404(api: Api, customer: str) -> None:
    answer = verification(api, customer, as_="office")
    assert (answer.status_code, answer.json()["code"]) == (403, "wrong-role")
    answer = verification(api, customer)
    assert (answer.status_code, answer.json()["code"]) == (404, "customer-not-found")

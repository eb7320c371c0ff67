"""DELETE /v1/companies/{company}/customers/{customer} over HTTP, on both
stores: given a customer with cards, when an admin erases them, then the card
list and every command answer 410 customer-erased while the history stays."""

from __future__ import annotations

from tests.api.client import Api
from tests.api.conftest import fresh_id
from tests.api.test_errors import assert_problem


def erase(api: Api, customer: str, *, as_: str = "admin", **kwargs: object):  # noqa: ANN201
    return api._command("DELETE", f"{api.company_path()}/customers/{customer}",
                        customer=customer, as_=as_, actor=None, **kwargs)  # type: ignore[arg-type]


def test_an_admin_erases_a_customer_and_the_card_list_is_gone(api: Api, customer: str) -> None:
    # Given a customer with two cards
    api.given_online_payments()
    first = api.given_card(customer)
    api.given_card(customer, "pm_card_mastercard")
    # When an admin erases them
    response = erase(api, customer)
    # Then the answer says when, with the version and position like any command
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["company_id"], body["customer_id"]) == (api.company, customer)
    assert body["erased_at"]
    assert response.headers["ETag"] == f'"{body["version"]}"'
    assert int(response.headers["Cardledger-Position"]) > 0
    # And the card list answers 410, right away (read-your-writes)
    assert_problem(api.cards(customer), 410, "customer-erased")
    # And every change is refused the same way
    assert_problem(api.add_card(customer, "pm_card_visa"), 410, "customer-erased")
    assert_problem(api.set_primary(customer, first), 410, "customer-erased")
    assert_problem(api.delete_card(customer, first), 410, "customer-erased")
    assert_problem(api.register(customer), 410, "customer-erased")
    # And the history stays, newest first: the erasure, then each card deleted
    history = api.history(customer).json()["history"]
    assert [(h["action"], h["detail"]) for h in history[:3]] == [
        ("erased", ""), ("deleted", "customer-erased"), ("deleted", "customer-erased")]
    # And erasing again answers the first erasure
    again = erase(api, customer)
    assert again.status_code == 200, again.text
    assert again.json() == body


def test_only_an_admin_key_erases(api: Api, customer: str) -> None:
    api.given_online_payments()
    api.given_card(customer)
    for role in ("portal", "office", "auditor"):
        response = erase(api, customer, as_=role)
        assert response.status_code == 403, (role, response.text)
    assert api.cards(customer).status_code == 200


def test_erasing_an_unknown_customer_is_not_found(api: Api) -> None:
    assert_problem(erase(api, fresh_id("nobody")), 404, "customer-not-found")

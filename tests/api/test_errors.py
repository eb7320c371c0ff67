"""Every error status of the contract, as RFC 9457 problem+json with a stable
type, on both stores: given a state, when a call that breaks a rule, then the
status, the problem type, and nothing stored."""

from __future__ import annotations

import httpx
import pytest

from api.guard import MAX_BODY_BYTES
from api.problem_catalog import STATUS_BY_CODE, STATUS_BY_KIND, status_for
from api.problems import PROBLEM_JSON, TYPE_BASE
from domain.errors import DomainError
from tests.api.client import Api


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert (body["type"], body["status"], body["code"]) == (TYPE_BASE + code, status, code)
    assert body["title"] and body["detail"]
    return body


def event_count(api: Api, customer: str) -> int:
    return len(api.events(customer).json()["events"])


def test_no_key_is_401_with_a_bearer_challenge(api: Api, customer: str) -> None:
    response = api.request("GET", api.cards_path(customer))
    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_an_unknown_key_is_401(api: Api, customer: str) -> None:
    response = api.request("GET", api.cards_path(customer),
                           headers={"Authorization": "Bearer not-a-key-we-ever-issued"})
    assert_problem(response, 401, "unauthorized")


def test_adding_a_card_while_online_payments_are_off_is_403(api: Api, customer: str) -> None:
    api.register(customer)
    response = api.add_card(customer, "pm_card_visa")
    assert_problem(response, 403, "online-payments-disabled")
    assert api.cards(customer).json()["payment_methods"] == []


def test_an_unknown_customer_is_404(api: Api, customer: str) -> None:
    assert_problem(api.cards(customer), 404, "customer-not-found")
    assert_problem(api.history(customer), 404, "customer-not-found")
    assert_problem(api.events(customer), 404, "customer-not-found")


def test_a_customer_who_did_not_exist_yet_at_as_of_is_404(api: Api, customer: str) -> None:
    api.register(customer)
    response = api.cards(customer, as_="auditor", as_of="2001-01-01T00:00:00Z")
    assert_problem(response, 404, "customer-not-found")


def test_an_unknown_card_is_404(api: Api, customer: str) -> None:
    api.given_online_payments()
    api.given_card(customer)
    assert_problem(api.set_primary(customer, "card_unknown"), 404, "no-such-card")
    assert_problem(api.delete_card(customer, "card_unknown"), 404, "no-such-card")


def test_a_command_on_an_unknown_customer_is_404(api: Api, customer: str) -> None:
    assert_problem(api.delete_card(customer, "card_unknown"), 404, "customer-not-found")


def test_an_unknown_path_is_a_404_problem(api: Api) -> None:
    assert_problem(api.request("GET", "/v2/nothing-here"), 404, "not-found")


def test_a_method_the_path_does_not_have_is_a_405_problem(api: Api) -> None:
    response = api.request("PATCH", "/healthz")
    assert_problem(response, 405, "method-not-allowed")


def test_saving_the_same_card_twice_is_409(api: Api, customer: str) -> None:
    api.given_online_payments()
    api.given_card(customer, "pm_card_visa")
    before = event_count(api, customer)
    assert_problem(api.add_card(customer, "pm_card_visa"), 409, "card-already-saved")
    assert event_count(api, customer) == before


def test_making_the_primary_primary_again_is_409(api: Api, customer: str) -> None:
    api.given_online_payments()
    card = api.given_card(customer)
    assert_problem(api.set_primary(customer, card), 409, "already-primary")


def test_deleting_a_deleted_card_is_409_because_another_change_won(
        api: Api, customer: str) -> None:
    api.given_online_payments()
    card = api.given_card(customer)
    assert api.delete_card(customer, card).status_code == 204
    assert_problem(api.delete_card(customer, card), 409, "card-already-deleted")
    assert_problem(api.set_primary(customer, card), 409, "card-already-deleted")


def test_more_cards_than_the_limit_is_409(api: Api, customer: str) -> None:
    api.given_online_payments()
    tokens = ["pm_card_visa", "pm_card_visa_debit", "pm_card_mastercard",
              "pm_card_mastercard_debit", "pm_card_mastercard_prepaid", "pm_card_amex",
              "pm_card_discover", "pm_card_diners", "pm_card_jcb", "pm_card_unionpay"]
    for token in tokens:
        api.given_card(customer, token)
    assert_problem(api.add_card(customer, "pm_card_chargeDeclined"), 409, "too-many-cards")


def test_an_expired_card_is_422(api: Api, customer: str) -> None:
    api.given_online_payments()
    assert_problem(api.add_card(customer, "pm_card_expired"), 422, "card-expired")


def test_a_token_the_processor_does_not_know_is_422(api: Api, customer: str) -> None:
    api.given_online_payments()
    assert_problem(api.add_card(customer, "pm_nobody_issued_this"), 422, "unknown-token")


@pytest.mark.parametrize("body", [
    {}, {"token": ""}, {"token": "pm_card_visa", "make_primary": "sometimes"},
    {"token": "pm card visa"}, {"token": "pm_card_visa", "colour": "blue"}, [1, 2], "just text",
])
def test_a_malformed_body_is_422_and_echoes_no_input(api: Api, customer: str,
                                                      body: object) -> None:
    api.given_online_payments()
    response = api.request("POST", api.cards_path(customer), as_="portal",
                           actor=f"customer:{customer}", json=body)
    problem = assert_problem(response, 422, "invalid-request")
    assert all("input" not in error for error in problem["errors"])  # type: ignore[attr-defined]


def test_a_body_that_is_not_json_is_422(api: Api, customer: str) -> None:
    response = api.request("POST", api.cards_path(customer), as_="portal",
                           actor=f"customer:{customer}", content=b"{not json",
                           headers={"Content-Type": "application/json"})
    assert_problem(response, 422, "invalid-json")


def test_a_command_without_x_actor_is_422(api: Api, customer: str) -> None:
    api.given_online_payments()
    response = api.request("POST", api.cards_path(customer), as_="portal",
                           json={"token": "pm_card_visa"})
    assert_problem(response, 422, "invalid-request")


@pytest.mark.parametrize("path", ["/v1/companies/bad%20id/settings/online-payments",
                                  "/v1/companies/" + "x" * 65 + "/settings/online-payments"])
def test_a_malformed_id_in_the_path_is_422(api: Api, path: str) -> None:
    assert_problem(api.request("GET", path, as_="any_office"), 422, "invalid-request")


def test_a_body_over_the_limit_is_413(api: Api, customer: str) -> None:
    response = api.request("POST", api.cards_path(customer), as_="portal",
                           actor=f"customer:{customer}", content=b"x" * (MAX_BODY_BYTES + 1),
                           headers={"Content-Type": "application/json"})
    assert_problem(response, 413, "request-too-large")


def test_a_malformed_as_of_is_422(api: Api, customer: str) -> None:
    api.register(customer)
    assert_problem(api.cards(customer, as_="auditor", as_of="last tuesday"), 422,
                   "invalid-request")


def all_domain_errors(cls: type[DomainError] = DomainError) -> list[type[DomainError]]:
    """The domain's own errors: adapters' private subclasses (a processor's
    ``_Declined``) are theirs, and which of them are imported depends on
    which tests were collected first."""
    return [cls, *(sub for child in cls.__subclasses__()
                   if child.__module__.startswith("domain.")
                   for sub in all_domain_errors(child))]


@pytest.mark.parametrize("error", all_domain_errors(), ids=lambda e: e.code)
def test_every_domain_error_has_a_status_of_its_own_kind(error: type[DomainError]) -> None:
    assert error.kind in STATUS_BY_KIND
    assert status_for(error()) in {*STATUS_BY_KIND.values(), *STATUS_BY_CODE.values()}

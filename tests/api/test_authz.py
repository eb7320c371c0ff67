"""Who may do what: every endpoint against every role, other companies'
keys, all-companies keys, and whom a key may act as."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.api.client import ROLES, Api
from tests.api.test_errors import assert_problem

Call = Callable[[Api, str, str, str], httpx.Response]  # api, customer, card id, key name

ENDPOINTS: dict[str, tuple[tuple[str, ...], Call]] = {
    "read online payments": (ROLES, lambda a, cu, card, k: a.online_payments(as_=k)),
    "switch online payments": (("admin",),
                               lambda a, cu, card, k: a.switch_online_payments(True, as_=k)),
    "register a customer": (("office", "admin"), lambda a, cu, card, k: a.register(cu, as_=k)),
    "add a card": (("portal", "office"),
                   lambda a, cu, card, k: a.add_card(cu, "pm_card_amex", as_=k)),
    "list cards": (("portal", "office", "auditor"), lambda a, cu, card, k: a.cards(cu, as_=k)),
    "list cards as of": (("office", "auditor"), lambda a, cu, card, k: a.cards(
        cu, as_=k, as_of="2100-01-01T00:00:00Z")),
    "set primary": (("portal", "office"), lambda a, cu, card, k: a.set_primary(cu, card, as_=k)),
    "delete a card": (("portal", "office"),
                      lambda a, cu, card, k: a.delete_card(cu, card, as_=k)),
    "view history": (("office", "auditor"), lambda a, cu, card, k: a.history(cu, as_=k)),
    "read events": (("auditor",), lambda a, cu, card, k: a.events(cu, as_=k)),
}
CASES = [(endpoint, role, role in allowed)
         for endpoint, (allowed, _) in ENDPOINTS.items() for role in ROLES]


@pytest.fixture
def card(sqlite_api: Api, customer: str) -> str:
    sqlite_api.given_online_payments()
    sqlite_api.given_card(customer, "pm_card_visa")
    return sqlite_api.given_card(customer, "pm_card_mastercard")


@pytest.mark.parametrize(("endpoint", "role", "allowed"), CASES,
                         ids=[f"{e}-{r}" for e, r, _ in CASES])
def test_each_endpoint_admits_exactly_its_roles(sqlite_api: Api, customer: str, card: str,
                                                endpoint: str, role: str, allowed: bool) -> None:
    response = ENDPOINTS[endpoint][1](sqlite_api, customer, card, role)
    if allowed:
        assert 200 <= response.status_code < 300, response.text
    else:
        assert_problem(response, 403, "wrong-role")


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_a_key_of_another_company_gets_403_on_every_path(sqlite_api: Api, customer: str,
                                                         card: str, endpoint: str) -> None:
    allowed, call = ENDPOINTS[endpoint]
    response = call(sqlite_api, customer, card, f"other_{allowed[0]}")
    assert_problem(response, 403, "wrong-company")


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_an_all_companies_key_works_on_any_company(sqlite_api: Api, customer: str, card: str,
                                                   endpoint: str) -> None:
    allowed, call = ENDPOINTS[endpoint]
    response = call(sqlite_api, customer, card, f"any_{allowed[0]}")
    assert 200 <= response.status_code < 300, response.text


def test_a_portal_key_acts_only_as_the_paths_customer(sqlite_api: Api, customer: str,
                                                      card: str) -> None:
    for actor in ("customer:someone-else", "user:jdoe"):
        response = sqlite_api.add_card(customer, "pm_card_amex", actor=actor)
        assert_problem(response, 403, "wrong-actor")
    assert len(sqlite_api.cards(customer).json()["payment_methods"]) == 2


def test_office_and_admin_keys_act_as_users_not_customers(sqlite_api: Api, customer: str,
                                                          card: str) -> None:
    office = sqlite_api.delete_card(customer, card, as_="office", actor=f"customer:{customer}")
    admin = sqlite_api.switch_online_payments(False, actor=f"customer:{customer}")
    assert_problem(office, 403, "wrong-actor")
    assert_problem(admin, 403, "wrong-actor")


def test_the_actor_and_the_keys_role_are_recorded_as_who_and_from_where(
        sqlite_api: Api, customer: str, card: str) -> None:
    sqlite_api.delete_card(customer, card, as_="office", actor="user:maria")
    newest = sqlite_api.history(customer).json()["history"][0]
    assert (newest["action"], newest["actor"], newest["source"]) == (
        "deleted", "user:maria", "office")

"""If-Match: a command pinned to the version the caller read fails with 409
when the customer changed since, and changes nothing."""

from __future__ import annotations

import pytest

from tests.api.client import Api
from tests.api.test_errors import assert_problem


def test_the_etag_of_the_list_works_as_if_match(api: Api, customer: str) -> None:
    api.given_online_payments()
    api.given_card(customer, "pm_card_visa")
    etag = api.cards(customer).headers["ETag"]
    response = api.add_card(customer, "pm_card_amex", if_match=etag)
    assert response.status_code == 201
    assert response.headers["ETag"] != etag


def test_a_stale_version_is_409_and_changes_nothing(api: Api, customer: str) -> None:
    api.given_online_payments()
    card = api.given_card(customer, "pm_card_visa")
    read = api.cards(customer).json()
    api.given_card(customer, "pm_card_amex")  # someone else's change
    for response in (api.add_card(customer, "pm_card_mastercard", if_match=read["version"]),
                     api.set_primary(customer, card, if_match=read["version"]),
                     api.delete_card(customer, card, if_match=read["version"])):
        assert_problem(response, 409, "version-conflict")
    assert len(api.cards(customer).json()["payment_methods"]) == 2


@pytest.mark.parametrize("if_match", ['W/"{v}"', "{v}", '"{v}"'])
def test_the_current_version_in_any_common_form_is_accepted(api: Api, customer: str,
                                                            if_match: str) -> None:
    api.given_online_payments()
    card = api.given_card(customer, "pm_card_visa")
    version = api.cards(customer).json()["version"]
    response = api.delete_card(customer, card, if_match=if_match.format(v=version))
    assert response.status_code == 204


def test_a_malformed_if_match_is_422(api: Api, customer: str) -> None:
    api.given_online_payments()
    card = api.given_card(customer)
    assert_problem(api.delete_card(customer, card, if_match="yesterday"), 422,
                   "invalid-if-match")

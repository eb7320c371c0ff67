"""One pagination convention for every list that can grow: history, events and
payments take ``limit`` and ``starting_after`` and answer ``has_more`` and
``next_starting_after``. Given more items than a page, when the pages are
walked, then each item comes exactly once, in the list's order."""

from __future__ import annotations

from typing import Any

from tests.api.client import Api


def walk(read: Any, limit: int, items: str) -> tuple[list[Any], list[bool]]:
    """Every page of a list, following next_starting_after; the items and each
    page's has_more."""
    collected, flags, cursor = [], [], None
    while True:
        params = {"limit": limit} | ({"starting_after": cursor} if cursor is not None else {})
        answer = read(params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        collected += body[items]
        flags.append(body["has_more"])
        cursor = body["next_starting_after"]
        assert (cursor is None) == (not body["has_more"])
        if cursor is None:
            return collected, flags


def given_five_card_changes(api: Api, customer: str) -> None:
    api.given_online_payments()
    first = api.given_card(customer, "pm_card_visa")
    api.given_card(customer, "pm_card_mastercard")
    api.set_primary(customer, api.given_card(customer, "pm_card_amex"))
    api.delete_card(customer, first)


def test_history_pages_with_starting_after_and_says_has_more(api: Api, customer: str) -> None:
    given_five_card_changes(api, customer)
    everything = api.history(customer).json()
    pages, flags = walk(lambda params: api.history(customer, **params), 2, "history")
    assert pages == everything["history"] and len(pages) > 4
    assert flags == [True] * (len(flags) - 1) + [False]
    assert everything["has_more"] is False and everything["next_starting_after"] is None


def test_history_still_pages_with_before_and_next_before(api: Api, customer: str) -> None:
    given_five_card_changes(api, customer)
    first = api.history(customer, limit=2).json()
    assert first["next_before"] == first["next_starting_after"] is not None
    second = api.history(customer, limit=2, before=first["next_before"]).json()
    assert first["history"] + second["history"] == api.history(customer).json()["history"][:4]


def events_page(api: Api, customer: str, params: dict[str, Any]) -> Any:
    return api.request("GET", f"{api.company_path()}/customers/{customer}/events",
                       as_="auditor", params=params)


def test_events_page_by_version_oldest_first(api: Api, customer: str) -> None:
    given_five_card_changes(api, customer)
    everything = api.events(customer).json()
    pages, flags = walk(lambda params: events_page(api, customer, params), 3, "events")
    assert pages == everything["events"]
    assert [e["version"] for e in pages] == list(range(1, len(pages) + 1))
    assert len(flags) > 2 and everything["has_more"] is False


def payments_of(api: Api, customer: str, params: dict[str, Any]) -> Any:
    return api.request("GET", f"{api.company_path()}/customers/{customer}/payments",
                       as_="office", params=params)


def given_three_payments(api: Api, customer: str) -> None:
    api.given_online_payments()
    api.given_card(customer, "pm_card_visa")
    for invoice in ("INV-a", "INV-b", "INV-c"):
        paid = api.request("POST", f"{api.company_path()}/customers/{customer}/payments",
                           as_="office", actor="user:jdoe",
                           headers={"Idempotency-Key": f"pay-{invoice}"},
                           json={"invoice_id": invoice, "amount": 1000, "currency": "usd"})
        assert paid.status_code == 201, paid.text


def test_payments_page_by_id_newest_first(api: Api, customer: str) -> None:
    given_three_payments(api, customer)
    pages, flags = walk(lambda params: payments_of(api, customer, params), 2, "payments")
    assert [p["invoice_id"] for p in pages] == ["INV-c", "INV-b", "INV-a"]
    assert flags == [True, False]
    assert payments_of(api, customer, {}).json()["has_more"] is False


def test_a_payment_cursor_of_another_list_is_a_422_problem(api: Api, customer: str) -> None:
    given_three_payments(api, customer)
    answer = payments_of(api, customer, {"starting_after": "pay_nosuchpayment"})
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid-cursor")

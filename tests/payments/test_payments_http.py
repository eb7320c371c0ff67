"""POST and GET .../payments over real HTTP (uvicorn, SQLite, sandbox processor)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cardledger.processors.sandbox import SandboxProcessor
from domain.provenance import Provenance
from tests.api.client import Api
from tests.api.conftest import Live, base_settings, fresh_id, serving
from tests.payments.faults import TimesOutAtCharge

INVOICE = {"invoice_id": "INV-1042", "amount": 125_00, "currency": "usd"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with serving(base_settings(tmp_path_factory.mktemp("payments"))) as live:
        yield live


@pytest.fixture
def customer(api: Api) -> str:
    """Given a customer with a Visa (primary)."""
    customer = fresh_id("cu")
    api.given_card(customer, "pm_card_visa")
    return customer


def payments_path(api: Api, customer: str) -> str:
    return f"{api.company_path()}/customers/{customer}/payments"


def pay(api: Api, customer: str, key: str | None = "pay-key-1", *, as_: str = "portal",
        **body: Any) -> httpx.Response:
    return api._command("POST", payments_path(api, customer), customer=customer, as_=as_,
                        actor=None, idempotency_key=key, json={**INVOICE, **body})


def test_an_invoice_is_paid_with_the_primary_card(api: Api, customer: str) -> None:
    answer = pay(api, customer)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["status"], body["amount"], body["currency"], body["invoice_id"]) == (
        "succeeded", 125_00, "usd", "INV-1042")
    primary = api.cards(customer).json()["payment_methods"][0]
    assert body["payment_method_id"] == primary["id"] and body["decline_code"] is None


def test_an_invoice_is_paid_with_the_chosen_card(api: Api, customer: str) -> None:
    amex = api.given_card(customer, "pm_card_amex")
    answer = pay(api, customer, payment_method_id=amex, as_="office")
    assert answer.status_code == 201 and answer.json()["payment_method_id"] == amex


def test_a_declined_card_is_answered_as_a_failed_payment_with_its_code(
        api: Api, customer: str) -> None:
    declining = api.given_card(customer, "pm_card_chargeDeclinedInsufficientFunds")
    answer = pay(api, customer, payment_method_id=declining)
    assert answer.status_code == 201
    assert (answer.json()["status"], answer.json()["decline_code"]) == (
        "failed", "insufficient_funds")


def test_a_retried_payment_answers_the_first_payment_and_records_it_once(
        api: Api, customer: str, live: Live) -> None:
    first = pay(api, customer)
    again = pay(api, customer)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    listed = api.request("GET", payments_path(api, customer), as_="portal").json()["payments"]
    assert [p["id"] for p in listed] == [first.json()["id"]]
    kinds = [e["type"] for e in api.events(customer).json()["events"]]
    assert kinds.count("PaymentStarted") == 1 and kinds.count("PaymentSucceeded") == 1


def test_a_payment_without_an_idempotency_key_is_refused(api: Api, customer: str) -> None:
    answer = pay(api, customer, key=None)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "idempotency-key-required"


def test_a_paid_invoice_under_a_new_key_is_a_conflict(api: Api, customer: str) -> None:
    first = pay(api, customer, key="pay-key-1")
    answer = pay(api, customer, key="pay-key-2")
    assert (answer.status_code, answer.json()["code"]) == (409, "invoice-already-paid")
    assert first.json()["id"] in answer.json()["detail"]
    listed = api.request("GET", payments_path(api, customer), as_="office").json()["payments"]
    assert [p["id"] for p in listed] == [first.json()["id"]]


def test_an_additional_payment_pays_a_paid_invoice_again_and_shows_it(
        api: Api, customer: str) -> None:
    first = pay(api, customer, key="pay-key-1")
    extra = pay(api, customer, key="pay-key-2", amount=20_00, additional=True)
    assert extra.status_code == 201, extra.text
    assert (first.json()["additional"], extra.json()["additional"]) == (False, True)
    listed = api.request("GET", payments_path(api, customer), as_="office").json()["payments"]
    assert [(p["amount"], p["additional"]) for p in listed] == [(20_00, True), (125_00, False)]


@pytest.mark.parametrize("value", ["true", 1, None])
def test_additional_must_be_a_json_boolean(api: Api, customer: str, value: Any) -> None:
    answer = pay(api, customer, additional=value)
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid-request")


def test_the_same_key_for_another_payment_is_refused(api: Api, customer: str) -> None:
    pay(api, customer)
    answer = pay(api, customer, amount=99)
    assert (answer.status_code, answer.json()["code"]) == (422, "idempotency-key-reused")


@pytest.mark.parametrize("body", [
    {"amount": 0}, {"amount": -1}, {"amount": "12500"}, {"amount": 125.5},
    {"currency": "USD"}, {"currency": "usdollar"}, {"invoice_id": ""},
    {"payment_method_id": "card 1"}, {"surprise": True},
])
def test_a_malformed_payment_is_refused_with_a_problem(
        api: Api, customer: str, body: dict[str, Any]) -> None:
    answer = pay(api, customer, **body)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("body", "code"), [
    ({"currency": "zzz"}, "unsupported-currency"),
    ({"currency": "kpw"}, "unsupported-currency"),
    ({"currency": "kwd", "amount": 1235}, "invalid-amount"),
    ({"currency": "usd", "amount": 49}, "invalid-amount"),
    ({"currency": "USD"}, "invalid-request"),
])
def test_a_currency_or_amount_the_processor_would_refuse_is_422_and_charges_nothing(
        api: Api, customer: str, live: Live, body: dict[str, Any], code: str) -> None:
    sandbox = live.runtime.ledger.processor
    assert isinstance(sandbox, SandboxProcessor)
    charged = len(sandbox.attempts)
    answer = pay(api, customer, **body)
    assert (answer.status_code, answer.json()["code"]) == (422, code)
    assert len(sandbox.attempts) == charged
    assert "PaymentStarted" not in [e["type"] for e in api.events(customer).json()["events"]]


def test_an_invoice_in_yen_is_paid_in_whole_yen(api: Api, customer: str) -> None:
    answer = pay(api, customer, currency="jpy", amount=12_500)
    assert answer.status_code == 201, answer.text
    assert (answer.json()["amount"], answer.json()["currency"]) == (12_500, "jpy")


def test_without_a_primary_card_a_payment_must_name_one(api: Api) -> None:
    customer = fresh_id("cu")
    card = api.given_card(customer)
    api.delete_card(customer, card)
    answer = pay(api, customer)
    assert (answer.status_code, answer.json()["code"]) == (409, "no-primary-card")


def test_no_invoice_is_paid_while_online_payments_are_off(api: Api, customer: str) -> None:
    api.given_online_payments(False)
    answer = pay(api, customer)
    assert (answer.status_code, answer.json()["code"]) == (403, "online-payments-disabled")


def test_a_payment_stopped_by_a_switch_off_after_it_was_recorded_is_201_failed_uncharged(
        api: Api, customer: str, live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger, save = live.runtime.ledger, live.runtime.ledger.save

    def save_then_admin_switches_off(*aggregates: Any) -> Any:
        recordings = save(*aggregates)
        if any(type(r.domain_event).__name__ == "PaymentStarted" for r in recordings):
            ledger.set_online_payments(api.company, False, Provenance("user:admin", "admin"))
        return recordings

    monkeypatch.setattr(ledger, "save", save_then_admin_switches_off)
    answer = pay(api, customer)
    assert answer.status_code == 201, answer.text
    assert (answer.json()["status"], answer.json()["decline_code"]) == (
        "failed", "online-payments-disabled")
    assert answer.json()["processor_payment_id"] is None
    again = pay(api, customer)
    assert again.json() == answer.json() and again.headers["Idempotent-Replayed"] == "true"


def test_paying_with_an_unknown_card_is_not_found(api: Api, customer: str) -> None:
    answer = pay(api, customer, payment_method_id="card_unknown")
    assert (answer.status_code, answer.json()["code"]) == (404, "no-such-card")


def test_an_auditor_lists_payments_but_cannot_pay(api: Api, customer: str) -> None:
    pay(api, customer)
    assert pay(api, customer, key="pay-key-2", as_="auditor").status_code == 403
    listed = api.request("GET", payments_path(api, customer), as_="auditor")
    assert listed.status_code == 200 and len(listed.json()["payments"]) == 1


def test_payments_are_listed_newest_first(api: Api, customer: str) -> None:
    pay(api, customer, key="k1", invoice_id="INV-1")
    pay(api, customer, key="k2", invoice_id="INV-2")
    listed = api.request("GET", payments_path(api, customer), as_="office").json()["payments"]
    assert [p["invoice_id"] for p in listed] == ["INV-2", "INV-1"]


def test_the_payments_of_an_unknown_customer_are_not_found(api: Api) -> None:
    answer = api.request("GET", payments_path(api, fresh_id("cu")), as_="office")
    assert (answer.status_code, answer.json()["code"]) == (404, "customer-not-found")


def test_a_payment_shows_in_the_view_history(api: Api, customer: str) -> None:
    pay(api, customer)
    newest = api.history(customer).json()["history"][0]
    assert (newest["action"], newest["actor"], newest["detail"]) == (
        "payment_succeeded", f"customer:{customer}", "invoice INV-1042: 12500 usd")
    assert newest["payment_method"]["last4"] == "4242"


def test_a_retry_soon_after_a_processor_timeout_is_a_conflict_with_retry_after(
        api: Api, customer: str, live: Live) -> None:
    sandbox = live.runtime.ledger.processor
    assert isinstance(sandbox, SandboxProcessor)
    live.runtime.ledger.processor = TimesOutAtCharge(sandbox)  # type: ignore[assignment]
    try:
        timed_out = pay(api, customer)
    finally:
        live.runtime.ledger.processor = sandbox
    assert (timed_out.status_code, timed_out.json()["code"]) == (503, "processor-unavailable")
    assert int(timed_out.headers["Retry-After"]) > 0
    answer = pay(api, customer)
    assert (answer.status_code, answer.json()["code"]) == (409, "payment-in-progress")
    assert 1 <= int(answer.headers["Retry-After"]) <= 61
    started = api.request("GET", payments_path(api, customer), as_="office").json()
    assert [p["status"] for p in started["payments"]] == ["started"]

"""Every row of autopay's contract and every error, over real HTTP, on both stores."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.client import Api
from tests.api.conftest import Live, fresh_id

CONSENT = {"text_version": "autopay-terms-v3", "channel": "portal"}
INVOICE = {"invoice_id": "INV-7", "amount": 4200, "currency": "usd"}


def autopay_path(api: Api, customer: str) -> str:
    return f"{api.company_path()}/customers/{customer}/autopay"


def put_autopay(api: Api, customer: str, body: dict[str, Any], *, as_: str = "portal",
                idempotency_key: str | None = None) -> httpx.Response:
    return api._command("PUT", autopay_path(api, customer), customer=customer, as_=as_,
                        actor=None, idempotency_key=idempotency_key, json=body)


def charge(api: Api, customer: str, key: str | None = "charge-key-1", *, as_: str = "office",
           **body: Any) -> httpx.Response:
    return api._command("POST", autopay_path(api, customer) + "/charges", customer=customer,
                        as_=as_, actor=None, idempotency_key=key, json={**INVOICE, **body})


def settings(api: Api, body: dict[str, Any] | None = None, *,
             as_: str = "admin") -> httpx.Response:
    path = f"{api.company_path()}/settings/autopay"
    if body is None:
        return api.request("GET", path, as_=as_)
    return api._command("PUT", path, customer=None, as_=as_, actor=None, json=body)


def problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


@pytest.fixture
def customer(api: Api) -> str:
    customer = fresh_id("cu")
    api.given_card(customer, "pm_card_visa")
    return customer


def enrolled(api: Api, customer: str, card: str | None = None) -> dict[str, Any]:
    answer = put_autopay(api, customer, {"enabled": True, "payment_method_id": card,
                                         "consent": CONSENT})
    assert answer.status_code == 200, answer.text
    return answer.json()


# --- settings -----------------------------------------------------------------------

def test_any_role_reads_the_settings_and_an_admin_changes_them(api: Api) -> None:
    answer = settings(api, as_="portal")
    assert answer.status_code == 200
    assert answer.json() == {"fallback_to_other_cards": True, "retry_schedule_days": [1, 3, 7]}
    changed = settings(api, {"fallback_to_other_cards": False, "retry_schedule_days": [2, 4]})
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"fallback_to_other_cards": False, "retry_schedule_days": [2, 4]}
    assert settings(api, as_="auditor").json() == changed.json()


def test_only_an_admin_changes_the_settings_and_a_bad_schedule_is_refused(api: Api) -> None:
    body = {"fallback_to_other_cards": True, "retry_schedule_days": [1]}
    problem(settings(api, body, as_="office"), 403, "wrong-role")
    problem(settings(api, {**body, "retry_schedule_days": [3, 1]}), 422, "invalid-command")
    problem(settings(api, {**body, "retry_schedule_days": [0]}), 422, "invalid-command")


# --- enrolment ----------------------------------------------------------------------

def test_the_customer_enrols_on_the_portal_and_the_consent_is_recorded(
        api: Api, customer: str) -> None:
    body = enrolled(api, customer)
    assert (body["enabled"], body["payment_method_id"], body["follows_primary"]) == (
        True, None, True)
    consent = body["consent"]
    assert (consent["text_version"], consent["channel"], consent["accepted_by"],
            consent["accepted_from"]) == ("autopay-terms-v3", "portal", f"customer:{customer}",
                                          "portal")
    assert consent["id"].startswith("cns_") and consent["accepted_at"]
    for role in ("portal", "office", "auditor"):
        read = api.request("GET", autopay_path(api, customer), as_=role)
        assert read.status_code == 200 and read.json()["consent"] == consent


def test_the_office_enrols_a_named_card_taken_by_phone(api: Api, customer: str) -> None:
    amex = api.given_card(customer, "pm_card_amex")
    answer = put_autopay(api, customer, {"enabled": True, "payment_method_id": amex,
                                         "consent": {**CONSENT, "channel": "phone"}}, as_="office")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["payment_method_id"], body["consent"]["channel"],
            body["consent"]["accepted_by"]) == (amex, "phone", "user:jdoe")


def test_enrolling_without_consent_is_422_consent_required(api: Api, customer: str) -> None:
    problem(put_autopay(api, customer, {"enabled": True}), 422, "consent-required")


def test_enrolling_while_online_payments_are_off_is_403(api: Api, customer: str) -> None:
    api.given_online_payments(False)
    problem(put_autopay(api, customer, {"enabled": True, "consent": CONSENT}), 403,
            "online-payments-disabled")


def test_enrolling_an_unknown_or_expired_card_is_refused(api: Api, customer: str,
                                                         live: Live) -> None:
    problem(put_autopay(api, customer, {"enabled": True, "payment_method_id": "card_nope",
                                        "consent": CONSENT}), 404, "no-such-card")
    live.runtime.ledger.record_processor_update(
        f"cus_sandbox.{api.company}.{customer}", "pm_card_visa", last4="4242", exp_month=1,
        exp_year=2021, reason="expired", event_id=fresh_id("evt"))
    card = api.cards(customer).json()["payment_methods"][0]["id"]
    problem(put_autopay(api, customer, {"enabled": True, "payment_method_id": card,
                                        "consent": CONSENT}), 422, "card-expired")


def test_a_bad_consent_channel_and_the_auditor_role_are_refused(api: Api, customer: str) -> None:
    problem(put_autopay(api, customer, {"enabled": True, "consent": {**CONSENT,
                                                                      "channel": "email"}}),
            422, "invalid-request")
    problem(put_autopay(api, customer, {"enabled": True, "consent": CONSENT}, as_="auditor"),
            403, "wrong-role")


def test_turning_autopay_off(api: Api, customer: str) -> None:
    enrolled(api, customer)
    answer = put_autopay(api, customer, {"enabled": False})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["enabled"], answer.json()["consent"]) == (False, None)
    problem(put_autopay(api, customer, {"enabled": False, "consent": CONSENT}), 422,
            "invalid-request")


# --- charges ------------------------------------------------------------------------

def test_the_office_charges_an_invoice_off_session_under_the_consent(
        api: Api, customer: str) -> None:
    consent = enrolled(api, customer)["consent"]["id"]
    answer = charge(api, customer)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    card = api.cards(customer).json()["payment_methods"][0]["id"]
    assert (body["status"], body["initiated_by"], body["consent_id"], body["payment_method_id"],
            body["next_retry_at"]) == ("succeeded", "merchant", consent, card, None)
    assert body["attempts"] == [{"payment_method_id": card, "outcome": "succeeded",
                                 "decline_code": None, "selection": "autopay", "round": 0}]
    again = charge(api, customer)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == body
    read = api.request("GET", f"{autopay_path(api, customer)}/charges/{body['id']}",
                       as_="auditor")
    assert read.status_code == 200 and read.json() == body
    # and its evidence pack is served where an invoice payment's is
    pack = api.request("GET", f"{api.company_path()}/customers/{customer}/payments/"
                              f"{body['id']}/evidence", as_="auditor")
    assert pack.status_code == 200, pack.text
    assert (pack.json()["kind"], pack.json()["consent"]["consent_id"]) == ("autopay", consent)


def test_declines_fall_back_and_a_soft_one_schedules_a_retry(api: Api) -> None:
    customer = fresh_id("cu")
    soft = api.given_card(customer, "pm_card_chargeDeclinedInsufficientFunds")
    hard = api.given_card(customer, "pm_card_chargeDeclined")
    enrolled(api, customer)
    body = charge(api, customer).json()
    assert [(a["payment_method_id"], a["decline_code"], a["selection"])
            for a in body["attempts"]] == [(soft, "insufficient_funds", "autopay"),
                                           (hard, "generic_decline", "fallback")]
    assert body["status"] == "retry_scheduled" and body["next_retry_at"]


def test_a_hard_decline_with_nothing_left_fails(api: Api) -> None:
    customer = fresh_id("cu")
    api.given_card(customer, "pm_card_chargeDeclinedExpiredCard")
    enrolled(api, customer)
    body = charge(api, customer).json()
    assert (body["status"], body["attempts"][0]["decline_code"]) == ("failed", "expired_card")


def test_charge_errors(api: Api, customer: str) -> None:
    problem(charge(api, customer), 409, "autopay-not-enabled")
    enrolled(api, customer)
    problem(charge(api, customer, None), 422, "idempotency-key-required")
    problem(charge(api, customer, as_="portal"), 403, "wrong-role")
    problem(charge(api, customer, amount=0), 422, "invalid-request")
    problem(charge(api, fresh_id("cu")), 404, "customer-not-found")
    assert charge(api, customer).status_code == 201
    problem(charge(api, customer, amount=999), 422, "idempotency-key-reused")
    problem(charge(api, customer, "charge-key-2"), 409, "invoice-already-paid")


# --- deleting autopay's card ---------------------------------------------------------

def test_autopays_card_is_deleted_only_with_force_and_autopay_then_follows_the_primary(
        api: Api, customer: str) -> None:
    amex = api.given_card(customer, "pm_card_amex")
    enrolled(api, customer, amex)
    problem(api.delete_card(customer, amex), 409, "card-in-use-by-autopay")
    forced = api._command("DELETE", f"{api.cards_path(customer)}/{amex}", customer=customer,
                          as_="portal", actor=None, params={"force": "true"})
    assert forced.status_code == 204, forced.text
    state = api.request("GET", autopay_path(api, customer), as_="office").json()
    assert (state["enabled"], state["follows_primary"]) == (True, True)
    history = api.history(customer).json()["history"]
    assert [h["action"] for h in history[:3]] == ["autopay_card_changed", "deleted",
                                                  "autopay_enabled"]


def test_the_last_card_goes_only_with_force_which_turns_autopay_off(api: Api,
                                                                     customer: str) -> None:
    card = api.cards(customer).json()["payment_methods"][0]["id"]
    enrolled(api, customer)
    problem(api.delete_card(customer, card), 409, "card-in-use-by-autopay")
    forced = api._command("DELETE", f"{api.cards_path(customer)}/{card}", customer=customer,
                          as_="office", actor=None, params={"force": "true"})
    assert forced.status_code == 204, forced.text
    assert api.request("GET", autopay_path(api, customer), as_="office").json()["enabled"] is False
    latest = api.history(customer).json()["history"][0]
    assert (latest["action"], latest["detail"], latest["actor"]) == (
        "autopay_disabled", "no-card-left", "user:jdoe")


# --- the expiring-cards report -------------------------------------------------------

def test_the_report_lists_cards_expiring_soon_marking_autopays(api: Api, customer: str,
                                                               live: Live) -> None:
    enrolled(api, customer)
    live.runtime.ledger.record_processor_update(
        f"cus_sandbox.{api.company}.{customer}", "pm_card_visa", last4="4242",
        exp_month=live.runtime.ledger.clock().month, exp_year=live.runtime.ledger.clock().year,
        reason="expiry", event_id=fresh_id("evt"))
    live.runtime.projector.catch_up()
    path = f"{api.company_path()}/reports/expiring-cards"
    answer = api.request("GET", path, as_="auditor", params={"within_days": 1})
    assert answer.status_code == 200, answer.text
    cards = answer.json()["cards"]
    assert [(c["customer_id"], c["last4"], c["is_primary"], c["autopay"]) for c in cards] == [
        (customer, "4242", True, True)]
    assert answer.json()["has_more"] is False
    problem(api.request("GET", path, as_="office", params={"within_days": 0}), 422,
            "invalid-request")
    problem(api.request("GET", path, as_="office", params={"within_days": 3651}), 422,
            "invalid-request")
    assert api.request("GET", path, as_="office", params={"within_days": 3650}).status_code == 200
    problem(api.request("GET", path, as_="portal"), 403, "wrong-role")


def test_the_sandboxs_card_expiring_this_month_is_in_the_report(api: Api, customer: str) -> None:
    card = api.given_card(customer, "pm_card_expiringThisMonth")
    answer = api.request("GET", f"{api.company_path()}/reports/expiring-cards", as_="office",
                         params={"within_days": 1})
    assert [c["payment_method_id"] for c in answer.json()["cards"]] == [card]


def test_a_charge_the_processor_did_not_answer_is_503_then_in_progress_on_retry(
        api: Api, customer: str, live: Live) -> None:
    from tests.payments.faults import TimesOutAtCharge  # noqa: PLC0415

    enrolled(api, customer)
    ledger = live.runtime.ledger
    real = ledger.processor
    ledger.processor = TimesOutAtCharge(real)  # type: ignore[assignment]
    try:
        first = charge(api, customer)
    finally:
        ledger.processor = real
    problem(first, 503, "processor-unavailable")
    assert first.headers["Retry-After"]
    # The attempt is recorded and may still reach the processor: a retry inside
    # its window is told to come back, never sent again.
    again = charge(api, customer)
    problem(again, 409, "payment-in-progress")
    assert int(again.headers["Retry-After"]) > 0

"""Every row of the HTTP contract, on SQLite and on PostgreSQL, over real HTTP:
given a state made through the API, when the call, then status and body."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from domain.provenance import Provenance
from tests.api.client import Api
from tests.api.conftest import Live

CARD_FIELDS = {"id", "brand", "last4", "exp_month", "exp_year", "is_primary", "added_at",
               "added_by"}
HISTORY_FIELDS = {"at", "action", "payment_method", "actor", "source"}
# The events of this story; the stream may hold others (e.g. processor links).
CARD_EVENTS = ("Registered", "CardAdded", "PrimaryChanged", "CardDeleted")


@pytest.mark.parametrize("role", ["portal", "office", "auditor", "admin"])
def test_every_role_reads_the_online_payments_switch_which_starts_off(api: Api, role: str) -> None:
    response = api.online_payments(as_=role)
    assert (response.status_code, response.json()) == (200, {"enabled": False})


def test_an_admin_switches_online_payments_on_and_off(api: Api) -> None:
    switched_on = api.switch_online_payments(True)
    assert (switched_on.status_code, switched_on.json()) == (200, {"enabled": True})
    assert api.online_payments().json() == {"enabled": True}
    switched_off = api.switch_online_payments(False)
    assert (switched_off.status_code, switched_off.json()) == (200, {"enabled": False})
    assert api.online_payments().json() == {"enabled": False}


def test_switching_to_the_current_setting_answers_200_and_records_nothing(
        api: Api, customer: str) -> None:
    api.given_online_payments(True)
    api.register(customer)
    again = api.switch_online_payments(True)
    assert (again.status_code, again.json()) == (200, {"enabled": True})
    actions = [e["action"] for e in api.history(customer).json()["history"]]
    assert actions.count("online_payments_enabled") == 1


@pytest.mark.parametrize("role", ["portal", "office"])
def test_a_card_added_by_token_is_answered_201_with_the_card_shape(
        api: Api, customer: str, role: str) -> None:
    api.given_online_payments()
    response = api.add_card(customer, "pm_card_visa", as_=role)
    assert response.status_code == 201
    card = response.json()
    assert CARD_FIELDS <= card.keys()
    assert not {"token", "processor_token", "fingerprint", "number"} & card.keys()
    assert (card["brand"], card["last4"], card["exp_month"], card["exp_year"]) == (
        "visa", "4242", 12, 2034)
    assert card["is_primary"] is True  # the first card
    assert card["added_by"] == (f"customer:{customer}" if role == "portal" else "user:jdoe")


def test_a_card_added_with_make_primary_becomes_primary(api: Api, customer: str) -> None:
    api.given_online_payments()
    first = api.given_card(customer, "pm_card_visa")
    second = api.add_card(customer, "pm_card_mastercard", make_primary=True).json()
    assert second["is_primary"] is True
    cards = api.cards(customer).json()["payment_methods"]
    assert [(c["id"], c["is_primary"]) for c in cards] == [(second["id"], True), (first, False)]


@pytest.mark.parametrize("role", ["portal", "office", "auditor"])
def test_the_card_list_shows_the_primary_first_then_newest_with_the_version(
        api: Api, customer: str, role: str) -> None:
    api.given_online_payments()
    visa = api.given_card(customer, "pm_card_visa")
    amex = api.given_card(customer, "pm_card_amex")
    mastercard = api.given_card(customer, "pm_card_mastercard")
    response = api.cards(customer, as_=role)
    assert response.status_code == 200
    body = response.json()
    assert [c["id"] for c in body["payment_methods"]] == [visa, mastercard, amex]
    newest_event = api.events(customer).json()["events"][-1]
    assert body["version"] == newest_event["version"]
    assert response.headers["ETag"] == f'"{body["version"]}"'


@pytest.mark.parametrize("role", ["auditor", "office"])
def test_as_of_answers_the_cards_as_they_were_then(api: Api, customer: str, role: str) -> None:
    api.given_online_payments()
    visa = api.given_card(customer, "pm_card_visa")
    then = api.cards(customer).json()
    time.sleep(0.01)
    between = datetime.now(tz=UTC).isoformat()
    time.sleep(0.01)
    api.given_card(customer, "pm_card_amex", make_primary=True)
    response = api.cards(customer, as_=role, as_of=between)
    assert response.status_code == 200
    body = response.json()
    assert [(c["id"], c["is_primary"]) for c in body["payment_methods"]] == [(visa, True)]
    assert (body["payment_methods"], body["version"]) == (then["payment_methods"], then["version"])
    assert body["as_of"] is not None


def test_setting_a_card_primary_answers_200_with_the_card(api: Api, customer: str) -> None:
    api.given_online_payments()
    visa = api.given_card(customer, "pm_card_visa")
    amex = api.given_card(customer, "pm_card_amex")
    response = api.set_primary(customer, amex)
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["is_primary"]) == (amex, True)
    cards = api.cards(customer).json()["payment_methods"]
    assert [(c["id"], c["is_primary"]) for c in cards] == [(amex, True), (visa, False)]


def test_deleting_the_primary_answers_204_and_promotes_the_newest_card(
        api: Api, customer: str) -> None:
    api.given_online_payments()
    visa = api.given_card(customer, "pm_card_visa")
    amex = api.given_card(customer, "pm_card_amex")
    mastercard = api.given_card(customer, "pm_card_mastercard")
    response = api.delete_card(customer, visa)
    assert (response.status_code, response.content) == (204, b"")
    cards = api.cards(customer).json()["payment_methods"]
    assert [(c["id"], c["is_primary"]) for c in cards] == [(mastercard, True), (amex, False)]


@pytest.mark.parametrize("role", ["office", "auditor"])
def test_view_history_lists_every_change_newest_first(api: Api, customer: str, role: str) -> None:
    api.register(customer)
    api.given_online_payments()
    visa = api.given_card(customer, "pm_card_visa")
    mastercard = api.given_card(customer, "pm_card_mastercard")
    api.set_primary(customer, mastercard)
    api.delete_card(customer, visa, as_="office")
    response = api.history(customer, as_=role)
    assert response.status_code == 200
    entries = response.json()["history"]
    assert all(HISTORY_FIELDS <= e.keys() for e in entries)
    assert [(e["action"], (e["payment_method"] or {}).get("last4"), e["actor"], e["source"])
            for e in entries] == [
        ("deleted", "4242", "user:jdoe", "office"),
        ("set_primary", "4444", f"customer:{customer}", "portal"),
        ("added", "4444", f"customer:{customer}", "portal"),
        ("set_primary", "4242", f"customer:{customer}", "portal"),
        ("added", "4242", f"customer:{customer}", "portal"),
        ("online_payments_enabled", None, "user:admin", "admin"),
    ]
    assert entries[-1]["company_wide"] is True
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)


def test_history_pages_with_before(api: Api, customer: str) -> None:
    api.given_online_payments()
    api.given_card(customer, "pm_card_visa")
    api.given_card(customer, "pm_card_amex")
    first_page = api.history(customer, limit=2).json()
    second_page = api.history(customer, limit=2, before=first_page["next_before"]).json()
    everything = api.history(customer).json()["history"]
    assert first_page["history"] + second_page["history"] == everything[:4]


def test_the_events_endpoint_gives_auditors_the_raw_stream_in_order(
        api: Api, customer: str) -> None:
    api.given_online_payments()
    card = api.given_card(customer, "pm_card_visa")
    api.delete_card(customer, card)
    response = api.events(customer)
    assert response.status_code == 200
    events = response.json()["events"]
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    card_events = [e for e in events if e["type"] in CARD_EVENTS]
    assert [e["type"] for e in card_events] == list(CARD_EVENTS)
    added = card_events[1]
    assert added["topic"] == "cardledger/Customer.CardAdded"
    assert (added["data"]["card_id"], added["data"]["actor"]) == (card, f"customer:{customer}")
    assert all(datetime.fromisoformat(e["timestamp"]) for e in events)


def test_registering_a_customer_answers_201_then_200(api: Api, customer: str) -> None:
    first = api.register(customer)
    again = api.register(customer)
    assert (first.status_code, first.json()["created"], first.json()["version"]) == (201, True, 1)
    assert (again.status_code, again.json()["created"]) == (200, False)
    assert api.cards(customer).json() == {"payment_methods": [], "version": 1, "as_of": None}


def test_liveness_and_readiness_answer_200_without_a_key(api: Api) -> None:
    assert (api.request("GET", "/healthz").status_code,
            api.request("GET", "/healthz").json()) == (200, {"status": "ok"})
    ready = api.request("GET", "/readyz")
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")


def test_the_openapi_document_and_docs_are_served(api: Api) -> None:
    document = api.request("GET", "/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert "/v1/companies/{company}/customers/{customer}/payment-methods/{id}/primary" in \
        document["paths"]
    assert api.request("GET", "/docs").status_code == 200


def test_a_command_answers_the_event_log_position_of_its_change(
        api: Api, customer: str) -> None:
    api.given_online_payments()
    added = api.add_card(customer, "pm_card_visa")
    again = api.add_card(customer, "pm_card_mastercard", idempotency_key="k-pos")
    replayed = api.add_card(customer, "pm_card_mastercard", idempotency_key="k-pos")
    # Each answer names a position; later changes later; a replay never an older one
    positions = [int(r.headers["Cardledger-Position"]) for r in (added, again, replayed)]
    assert 1 <= positions[0] < positions[1] <= positions[2]


def test_a_reader_asking_for_a_position_sees_a_change_made_elsewhere(
        live: Live, api: Api, customer: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a change appended by another process that leaves the views to the
    # projector (inline views off), so they do not include it yet
    api.given_online_payments()
    ledger = live.runtime.ledger
    monkeypatch.setattr(ledger, "in_same_transaction", None)
    outcome = ledger.add_card(api.company, customer, "pm_card_visa",
                              by=Provenance("user:jdoe", "office"))
    stale = api.request("GET", api.cards_path(customer), as_="office")
    # When a reader asks for at least that change's position
    fresh = api.request("GET", api.cards_path(customer), as_="office",
                        headers={"Cardledger-Min-Position": str(outcome.position)})
    history = api.request("GET", f"{api.cards_path(customer)}/history", as_="office",
                          headers={"Cardledger-Min-Position": str(outcome.position)})
    # Then it sees the change the plain read did not
    assert stale.status_code == 404
    assert [c["id"] for c in fresh.json()["payment_methods"]] == [outcome.card_id]
    assert history.json()["history"][0]["action"] == "set_primary"

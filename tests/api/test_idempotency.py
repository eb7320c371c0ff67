"""Idempotency-Key: a retry gets the first answer (status and body) and
changes nothing; the same key for a different request is refused; keys
survive a restart of the server."""

from __future__ import annotations

from pathlib import Path

from tests.api.client import Api
from tests.api.conftest import api_for, base_settings, serving
from tests.api.test_errors import assert_problem


def event_count(api: Api, customer: str) -> int:
    return len(api.events(customer).json()["events"])


def test_retrying_an_add_with_the_same_key_returns_the_first_answer_and_adds_nothing(
        api: Api, customer: str) -> None:
    api.given_online_payments()
    first = api.add_card(customer, "pm_card_visa", idempotency_key="add-visa-1")
    stored = event_count(api, customer)
    retry = api.add_card(customer, "pm_card_visa", idempotency_key="add-visa-1")
    assert (retry.status_code, retry.json()) == (first.status_code, first.json())
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert event_count(api, customer) == stored
    assert len(api.cards(customer).json()["payment_methods"]) == 1


def test_a_retry_answers_the_card_as_it_was_even_after_later_changes(
        api: Api, customer: str) -> None:
    api.given_online_payments()
    first = api.add_card(customer, "pm_card_visa", idempotency_key="add-visa-1")
    api.given_card(customer, "pm_card_amex", make_primary=True)
    retry = api.add_card(customer, "pm_card_visa", idempotency_key="add-visa-1")
    assert retry.json() == first.json()
    assert retry.json()["is_primary"] is True  # as answered then, though no longer so


def test_the_same_key_with_a_different_body_is_422(api: Api, customer: str) -> None:
    api.given_online_payments()
    api.add_card(customer, "pm_card_visa", idempotency_key="k-1")
    stored = event_count(api, customer)
    response = api.add_card(customer, "pm_card_amex", idempotency_key="k-1")
    assert_problem(response, 422, "idempotency-key-reused")
    assert event_count(api, customer) == stored


def test_the_same_key_on_another_command_is_422(api: Api, customer: str) -> None:
    api.given_online_payments()
    card = api.given_card(customer, idempotency_key="k-1")
    assert_problem(api.delete_card(customer, card, idempotency_key="k-1"), 422,
                   "idempotency-key-reused")


def test_retrying_set_primary_returns_the_first_answer(api: Api, customer: str) -> None:
    api.given_online_payments()
    api.given_card(customer, "pm_card_visa")
    amex = api.given_card(customer, "pm_card_amex")
    first = api.set_primary(customer, amex, idempotency_key="primary-1")
    stored = event_count(api, customer)
    retry = api.set_primary(customer, amex, idempotency_key="primary-1")
    assert (retry.status_code, retry.json()) == (200, first.json())
    assert event_count(api, customer) == stored


def test_retrying_a_delete_answers_204_again_and_deletes_once(api: Api, customer: str) -> None:
    api.given_online_payments()
    card = api.given_card(customer)
    first = api.delete_card(customer, card, idempotency_key="delete-1")
    stored = event_count(api, customer)
    retry = api.delete_card(customer, card, idempotency_key="delete-1")
    assert (first.status_code, retry.status_code, retry.content) == (204, 204, b"")
    assert event_count(api, customer) == stored


def test_without_a_key_a_repeated_add_runs_again(api: Api, customer: str) -> None:
    api.given_online_payments()
    api.given_card(customer, "pm_card_visa")
    assert_problem(api.add_card(customer, "pm_card_visa"), 409, "card-already-saved")


def test_keys_survive_a_restart_of_the_server(tmp_path: Path, customer: str) -> None:
    settings = base_settings(tmp_path)
    with serving(settings) as live:
        api = api_for(live)
        api.given_online_payments()
        first = api.add_card(customer, "pm_card_visa", idempotency_key="add-visa-1")
        api.close()
    with serving(settings) as restarted:
        api = api_for(restarted, like=api)
        retry = api.add_card(customer, "pm_card_visa", idempotency_key="add-visa-1")
        assert (retry.status_code, retry.json()) == (201, first.json())
        assert len(api.cards(customer).json()["payment_methods"]) == 1
        api.close()

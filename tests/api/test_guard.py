"""The card-number guard: anything that looks like card data, anywhere in a
request, is refused with 422 before it reaches a route, and the value shows
up in no log line, no answer and no stored event."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cardledger.card_data import is_sensitive_name, looks_like_card_number, luhn_valid, redact
from cardledger.wiring import Runtime
from tests.api.client import Api
from tests.api.conftest import Live, api_for
from tests.api.logs import Captured, captured_logs
from tests.api.test_errors import assert_problem

VISA = "4242424242424242"
SPACED_MASTERCARD = "5555 5555 5555 4444"
DASHED_AMEX = "3782-822463-10005"


@pytest.fixture
def watched(live_sqlite: Live) -> Iterator[tuple[Api, Captured]]:
    with captured_logs() as logs:
        api = api_for(live_sqlite)
        api.given_online_payments()
        yield api, logs
        api.close()


def stored_bytes(runtime: Runtime) -> bytes:
    notifications = runtime.ledger.recorder.select_notifications(start=0, limit=1_000_000)
    return b"".join(n.state for n in notifications)


def assert_refused_and_left_no_trace(response: Any, secret: str, logs: Captured,
                                     runtime: Runtime) -> None:
    assert_problem(response, 422, "card-data-refused")
    digits = "".join(c for c in secret if c.isdigit())
    for form in {secret, digits}:
        assert form not in response.text
        assert form not in logs.text()
        assert form.encode() not in stored_bytes(runtime)


def body_cases(customer: str) -> dict[str, tuple[dict[str, Any] | str, str]]:
    return {
        "a card number as the token": ({"token": VISA}, VISA),
        "a spaced number deep in an extra field": (
            {"token": "pm_card_visa", "meta": {"notes": [f"card {SPACED_MASTERCARD}"]}},
            SPACED_MASTERCARD),
        "a dashed number as a number": ({"token": "pm_card_visa", "x": DASHED_AMEX}, DASHED_AMEX),
        "a number as a JSON number": ('{"token": "pm_card_visa", "n": ' + VISA + "}", VISA),
        "a number hidden in JSON escapes": (
            '{"token": "\\u0034\\u0032' + VISA[2:] + '"}', VISA[2:]),
        "a number as a key": ({"token": "pm_card_visa", VISA: True}, VISA),
        "a field named cvc": ({"token": "pm_card_visa", "cvc": "737"}, "737"),
        "a field named CVV in capitals": ({"token": "pm_card_visa", "CVV": "737"}, "737"),
        "a field named card_number": ({"token": "pm_card_visa", "Card_Number": "x"}, "x"),
        "a nested field named pan": ({"token": "pm_card_visa", "card": {"pan": "y"}}, "y"),
        "a field named number": ({"token": "pm_card_visa", "number": "z"}, "z"),
    }


@pytest.mark.parametrize("case", list(body_cases("x")))
def test_card_data_in_the_body_is_refused_before_the_route(
        watched: tuple[Api, Captured], live_sqlite: Live, customer: str, case: str) -> None:
    api, logs = watched
    body, secret = body_cases(customer)[case]
    content = body if isinstance(body, str) else None
    response = api.request("POST", api.cards_path(customer), as_="portal",
                           actor=f"customer:{customer}",
                           json=None if content else body, content=content,
                           headers={"Content-Type": "application/json"})
    if len(secret) > 3:  # short field values (cvc, names) are only checked as refused
        assert_refused_and_left_no_trace(response, secret, logs, live_sqlite.runtime)
    else:
        assert_problem(response, 422, "card-data-refused")
    assert api.cards(customer).status_code == 404  # nothing reached the domain


def test_card_data_in_the_query_is_refused(watched: tuple[Api, Captured], live_sqlite: Live,
                                           customer: str) -> None:
    api, logs = watched
    response = api.request("GET", api.cards_path(customer), as_="office",
                           params={"as_of": SPACED_MASTERCARD})
    assert_refused_and_left_no_trace(response, SPACED_MASTERCARD, logs, live_sqlite.runtime)
    assert_problem(api.request("GET", api.cards_path(customer), as_="office",
                               params={"cvc": "737"}), 422, "card-data-refused")


def test_card_data_in_a_header_is_refused(watched: tuple[Api, Captured], live_sqlite: Live,
                                          customer: str) -> None:
    api, logs = watched
    response = api.request("POST", api.cards_path(customer), as_="portal",
                           actor=f"customer:{customer}", json={"token": "pm_card_visa"},
                           headers={"Idempotency-Key": DASHED_AMEX})
    assert_refused_and_left_no_trace(response, DASHED_AMEX, logs, live_sqlite.runtime)


def test_card_data_as_a_request_id_is_refused_and_not_echoed(
        watched: tuple[Api, Captured], live_sqlite: Live) -> None:
    api, logs = watched
    response = api.request("GET", "/healthz", headers={"X-Request-ID": VISA})
    assert_refused_and_left_no_trace(response, VISA, logs, live_sqlite.runtime)
    assert response.headers["X-Request-ID"] != VISA


def test_card_data_in_the_path_is_refused_and_logged_without_the_path(
        watched: tuple[Api, Captured], live_sqlite: Live) -> None:
    api, logs = watched
    response = api.request("GET", api.cards_path(VISA), as_="office")
    assert_refused_and_left_no_trace(response, VISA, logs, live_sqlite.runtime)
    assert '"route":"-"' in logs.lines("cardledger.access")[-1]


def test_a_form_body_is_refused_as_an_unsupported_media_type(
        watched: tuple[Api, Captured], live_sqlite: Live, customer: str) -> None:
    api, logs = watched
    response = api.request("POST", api.cards_path(customer), as_="portal",
                           actor=f"customer:{customer}", data={"token": VISA})
    assert_problem(response, 415, "unsupported-media-type")
    assert VISA not in logs.text()
    assert VISA.encode() not in stored_bytes(live_sqlite.runtime)


def test_ordinary_requests_pass_the_guard(watched: tuple[Api, Captured], customer: str) -> None:
    api, _ = watched
    response = api.add_card(customer, "pm_card_visa", idempotency_key="2026-11-25-0001")
    assert response.status_code == 201


@pytest.mark.parametrize("text", [VISA, SPACED_MASTERCARD, DASHED_AMEX, "4000056655665556",
                                  "6011111111111117", "card: 4242-4242-4242-4242.",
                                  "4242 4242 4242 4242 1234"])
def test_luhn_valid_runs_of_13_to_19_digits_look_like_card_numbers(text: str) -> None:
    assert looks_like_card_number(text)
    assert "[redacted]" in redact(text)


@pytest.mark.parametrize("text", ["4242424242424241", "424242424242", "2026-11-25T12:00:00Z",
                                  "card_3f9c2b7e", "12345678901234567890123",
                                  "pm_card_visa", "+1 555 0100"])
def test_other_digits_do_not(text: str) -> None:
    assert not looks_like_card_number(text)


@pytest.mark.parametrize(("name", "sensitive"), [
    ("number", True), ("card-number", True), ("CVC", True), ("Pan", True),
    ("token", False), ("card_id", False), ("invoice_number", False)])
def test_fields_named_like_card_data_are_recognised(name: str, sensitive: bool) -> None:
    assert is_sensitive_name(name) is sensitive


DISGUISED = "card_" + VISA + "a" * 16  # a card number dressed as one of our ids


def test_a_card_number_dressed_as_a_card_id_is_still_refused(
        watched: tuple[Api, Captured], live_sqlite: Live, customer: str) -> None:
    api, logs = watched
    api.given_card(customer)
    response = api.delete_card(customer, DISGUISED)
    assert_refused_and_left_no_trace(response, VISA, logs, live_sqlite.runtime)


@pytest.mark.parametrize("text", [DISGUISED, f"/payment-methods/{DISGUISED}/primary",
                                  "pay_" + VISA + "abcdefab"])
def test_no_id_shape_is_exempt_from_the_guard(text: str) -> None:
    assert looks_like_card_number(text)
    assert VISA not in redact(text)


def luhn_completed(prefix: str, length: int) -> str:
    """A number of ``length`` digits starting with ``prefix`` that passes Luhn."""
    body = (prefix + "0" * length)[:length - 1]
    for check in "0123456789":
        if luhn_valid(body + check):
            return body + check
    raise AssertionError("unreachable: one check digit always completes a number")


@pytest.mark.parametrize("length", [13, 19])
def test_the_shortest_and_longest_card_numbers_look_like_card_numbers(length: int) -> None:
    number = luhn_completed("4", length)
    assert looks_like_card_number(number)
    assert looks_like_card_number(" ".join(number[i:i + 4] for i in range(0, length, 4)))


@pytest.mark.parametrize("length", [12, 20])
def test_luhn_valid_runs_just_outside_13_to_19_digits_do_not(length: int) -> None:
    assert not looks_like_card_number(luhn_completed("4", length))


@pytest.mark.parametrize("text", [
    "/v1/companies/acme/customers/NDI0MjQyNDI0MjQyNDI0Mg/payment-methods",
    "xNDI0MjQyNDI0MjQyNDI0Mg", "xyNDI0MjQyNDI0MjQyNDI0Mgabc", "xyzNDI0MjQyNDI0MjQyNDI0Mga",
    "id_NTU1NSA1NTU1IDU1NTUgNDQ0NA"])
def test_base64_inside_a_longer_token_is_decoded_at_its_own_alignment(text: str) -> None:
    assert looks_like_card_number(text)

"""The access log: one JSON line per request, with a request id the caller
also gets, and never a body or a query string."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.api.client import Api
from tests.api.conftest import Live, api_for
from tests.api.logs import Captured, captured_logs


@pytest.fixture
def watched(live_sqlite: Live) -> Iterator[tuple[Api, Captured]]:
    api = api_for(live_sqlite)
    api.given_online_payments()
    with captured_logs() as logs:
        yield api, logs
    api.close()


def access_lines(logs: Captured) -> list[dict[str, object]]:
    return [json.loads(line) for line in logs.lines("cardledger.access")]


def test_each_request_is_one_json_line_with_the_id_the_caller_gets(
        watched: tuple[Api, Captured], customer: str) -> None:
    api, logs = watched
    response = api.add_card(customer, "pm_card_visa")
    [line] = access_lines(logs)
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert (line["method"], line["route"], line["status"]) == (
        "POST", "/v1/companies/{company}/customers/{customer}/payment-methods", 201)
    assert customer not in json.dumps(line)  # the template, never the path sent
    assert isinstance(line["duration_ms"], float)
    assert str(line["caller"]).startswith(f"{api.company}:portal:")


def test_a_callers_request_id_is_kept_and_echoed(watched: tuple[Api, Captured]) -> None:
    api, logs = watched
    response = api.request("GET", "/healthz", headers={"X-Request-ID": "portal-7f3a"})
    assert response.headers["X-Request-ID"] == "portal-7f3a"
    assert access_lines(logs)[0]["request_id"] == "portal-7f3a"


def test_an_unusable_request_id_is_replaced(watched: tuple[Api, Captured]) -> None:
    api, logs = watched
    response = api.request("GET", "/healthz", headers={"X-Request-ID": "has spaces {and} more"})
    assert response.headers["X-Request-ID"] != "has spaces {and} more"
    assert access_lines(logs)[0]["request_id"] == response.headers["X-Request-ID"]


def test_bodies_and_query_strings_are_never_logged(watched: tuple[Api, Captured],
                                                   customer: str) -> None:
    api, logs = watched
    api.add_card(customer, "pm_card_body_marker_qx")
    api.request("GET", api.cards_path(customer), as_="office",
                params={"as_of": "2026-01-01T00:00:00Z", "marker": "query_marker_qx"})
    assert len(access_lines(logs)) == 2
    assert "marker_qx" not in logs.text()


def test_problem_answers_name_the_request_id(watched: tuple[Api, Captured]) -> None:
    api, _ = watched
    response = api.request("GET", "/v1/nowhere")
    assert response.json()["instance"].endswith(response.headers["X-Request-ID"])

"""/readyz tells a stopped projector, and /metrics counts what an operator
watches (a real HTTP server; both stores)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from domain.provenance import Provenance
from tests.api.client import Api
from tests.api.conftest import Live, base_settings, fresh_id, serving

OFFICE = Provenance("user:jdoe", "office")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def metric(api: Api, name: str, **labels: str) -> float:
    text = api.request("GET", "/metrics").text
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stalled(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    """The API with no projector running (CARDLEDGER_PROJECTIONS=external, worker
    down) and every change left to it (inline views off), so the views fall behind."""
    database = request.getfixturevalue("postgres_database") if request.param == "postgres" else None
    settings = base_settings(tmp_path, database, projections="external", inline_views=False,
                             ready_max_views_lag_seconds=0.5, ready_max_views_lag_events=3)
    with serving(settings) as live:
        yield live


def test_readyz_answers_503_once_an_event_waited_too_long_for_the_views(stalled: Live) -> None:
    # given an event stored while no projector runs
    stalled.runtime.ledger.register_customer("acme", fresh_id("cu"), OFFICE)
    ready = httpx.get(f"{stalled.url}/readyz")
    assert (ready.status_code, ready.json()["views_lag"]) == (200, 1)
    # when it has waited longer than the threshold
    time.sleep(0.6)
    behind = httpx.get(f"{stalled.url}/readyz")
    # then the process is not ready, and says why
    assert behind.status_code == 503
    assert behind.headers["content-type"] == "application/problem+json"
    assert (behind.json()["code"], behind.json()["views_lag"]) == ("views-behind", 1)
    assert behind.json()["views_lag_seconds"] > 0.5
    # and once the projector caught up, it is ready again
    stalled.runtime.projector.catch_up()
    assert httpx.get(f"{stalled.url}/readyz").json() == {
        "status": "ready", "views_position": 1, "views_lag": 0, "views_lag_seconds": 0.0}


def test_readyz_answers_503_when_the_views_are_too_many_events_behind(stalled: Live) -> None:
    for _ in range(4):
        stalled.runtime.ledger.register_customer("acme", fresh_id("cu"), OFFICE)
    behind = httpx.get(f"{stalled.url}/readyz")
    assert (behind.status_code, behind.json()["views_lag"]) == (503, 4)


def test_metrics_count_requests_by_route_template_and_commands_by_outcome(
        api: Api, customer: str) -> None:
    route = "/v1/companies/{company}/customers/{customer}"
    before = {
        "requests": metric(api, "cardledger_http_requests_total", method="PUT", route=route,
                           status="201"),
        "ok": metric(api, "cardledger_commands_total", command="put_customer", outcome="ok"),
        "unknown": metric(api, "cardledger_commands_total", command="add_payment_method",
                          outcome="unknown-token"),
    }
    # when a customer is registered and a card with an unknown token refused
    assert api.register(customer).status_code == 201
    assert api.add_card(customer, "pm_no_such_token").status_code == 422
    # then the counters moved by one each, labelled by template, command and code
    assert metric(api, "cardledger_http_requests_total", method="PUT", route=route,
                  status="201") == before["requests"] + 1
    assert metric(api, "cardledger_commands_total", command="put_customer",
                  outcome="ok") == before["ok"] + 1
    assert metric(api, "cardledger_commands_total", command="add_payment_method",
                  outcome="unknown-token") == before["unknown"] + 1
    assert metric(api, "cardledger_http_request_duration_seconds_count", method="PUT",
                  route=route) >= 1
    # and nothing in them names a company, a customer or a key
    text = api.request("GET", "/metrics").text
    assert customer not in text and api.company not in text


def test_metrics_count_the_views_written_with_their_append(api: Api, customer: str) -> None:
    # given views that are current
    api.given_online_payments()
    before = metric(api, "cardledger_inline_views_total", outcome="applied")
    # when a customer is registered and adds a card
    assert api.register(customer).status_code == 201
    assert api.add_card(customer, "pm_card_visa").status_code == 201
    # then both appends wrote their views in their own transactions
    assert metric(api, "cardledger_inline_views_total", outcome="applied") == before + 2


def test_metrics_count_the_kept_customers_found_current(api: Api, customer: str) -> None:
    # given a customer registered through the API (kept by the process that saved it)
    api.given_online_payments()
    assert api.register(customer).status_code == 201

    def current() -> float:
        return sum(metric(api, "cardledger_kept_customers_total", outcome="current",
                          decided=decided) for decided in ("on_copy", "after_read"))

    before = current()
    # when it adds two cards
    assert api.add_card(customer, "pm_card_visa").status_code == 201
    assert api.add_card(customer, "pm_card_mastercard").status_code == 201
    # then both found the kept copy current (decided on it, or read first)
    assert current() == before + 2


def test_metrics_show_the_projection_lag(stalled: Live) -> None:
    stalled.runtime.ledger.register_customer("acme", fresh_id("cu"), OFFICE)
    time.sleep(0.1)
    lag = samples(httpx.get(f"{stalled.url}/metrics").text)
    assert lag[("cardledger_projection_lag_events", ())] == 1
    assert lag[("cardledger_projection_lag_seconds", ())] >= 0.1
    stalled.runtime.projector.catch_up()
    current = samples(httpx.get(f"{stalled.url}/metrics").text)
    assert current[("cardledger_projection_lag_events", ())] == 0
    assert current[("cardledger_projection_lag_seconds", ())] == 0

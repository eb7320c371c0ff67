"""When what cardledger depends on is down, callers get a 503 with Retry-After
(never a 500), and nothing is half-done."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from pydantic import SecretStr

from cardledger.processors.stripe import StripeProcessor
from tests.api.conftest import api_for, base_settings, serving
from tests.api.test_errors import assert_problem
from tests.conftest import _admin_connection, throwaway_database


def closed_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.postgres
def test_when_the_store_goes_away_commands_and_readiness_answer_503(tmp_path: Path) -> None:
    with throwaway_database() as database, \
            serving(base_settings(tmp_path, database, postgres_connect_timeout=1)) as live:
        api = api_for(live)
        assert api.request("GET", "/readyz").status_code == 200
        # given the database disappears under the running server
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        # then readiness fails fast (one query, no retries), so a balancer drains us
        ready = api.request("GET", "/readyz")
        assert_problem(ready, 503, "store-unavailable")
        assert ready.headers["Retry-After"].isdigit()
        # and a command fails after the store library's own retries (about ten
        # connection timeouts), still as a 503
        assert_problem(api.switch_online_payments(True), 503, "store-unavailable")
        assert_problem(api.cards("cu1"), 503, "store-unavailable")
        # while liveness does not depend on the store
        assert api.request("GET", "/healthz").status_code == 200
        api.close()


def test_when_the_processor_does_not_answer_adding_a_card_is_503_and_records_nothing(
        tmp_path: Path) -> None:
    # The real Stripe client, pointed at a port nothing listens on: a real outage.
    settings = base_settings(tmp_path, stripe_api_key=SecretStr("sk_test_unreachable"),
                             stripe_api_base=f"http://127.0.0.1:{closed_port()}")
    with serving(settings, processor=StripeProcessor.from_settings(settings)) as live:
        api = api_for(live)
        api.given_online_payments()
        api.register("cu1")
        response = api.add_card("cu1", "pm_card_visa")
        assert_problem(response, 503, "processor-unavailable")
        assert response.headers["Retry-After"].isdigit()
        assert api.cards("cu1").json()["payment_methods"] == []
        api.close()

"""When what cardledger depends on is down, callers get a 503 with Retry-After
(never a 500, never a hang), and nothing is half-done.

The event store's outages are played by a TCP proxy in front of the real
PostgreSQL (store_proxy.py): connections refused, accepted but never answered,
the server gone in the middle of a command; and by locks another session holds.
Each answer must come within the store timeout (CARDLEDGER_STORE_TIMEOUT) plus
MARGIN, write nothing, and the server must recover on its own.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from pydantic import SecretStr

from cardledger.processors.stripe import StripeProcessor
from cardledger.settings import Settings
from tests.api.client import Api
from tests.api.conftest import Live, api_for, base_settings, fresh_id, serving
from tests.api.store_proxy import StoreProxy
from tests.api.test_errors import assert_problem
from tests.conftest import PG_HOST, PG_PORT, PG_USER, _admin_connection, throwaway_database

# A short store timeout keeps these tests quick; the refused-connections test
# runs with the default, the figure operators get.
BOUND = 2.0
MARGIN = 1.0  # seconds of the server's own work and the test's scheduling
DEFAULT_BOUND = Settings.model_fields["store_timeout"].default


def closed_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Store:
    live: Live
    api: Api
    proxy: StoreProxy
    database: str
    customer: str  # has one card


@contextmanager
def serving_behind_a_proxy(tmp_path: Path, **overrides: Any) -> Iterator[Store]:
    overrides.setdefault("store_timeout", BOUND)
    with throwaway_database() as database, StoreProxy(PG_HOST, PG_PORT) as proxy, \
            serving(base_settings(tmp_path, database, postgres_port=proxy.port,
                                  **overrides)) as live:
        api = api_for(live)
        try:
            api.given_online_payments()
            customer = fresh_id("cu")
            assert api.add_card(customer, "pm_card_visa").status_code == 201
            yield Store(live, api, proxy, database, customer)
        finally:
            proxy.restore()
            api.close()


def connect(database: str, **kwargs: Any) -> psycopg.Connection[Any]:
    """Straight to PostgreSQL, around the proxy."""
    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database, **kwargs)


def stored_events(database: str) -> list[tuple[Any, ...]]:
    with connect(database) as conn:
        return conn.execute("SELECT originator_id, originator_version, topic "
                            "FROM cardledger_events ORDER BY notification_id").fetchall()


def timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    response = call()
    return response, time.monotonic() - start


def assert_store_unavailable(response: httpx.Response, took: float, bound: float) -> None:
    assert_problem(response, 503, "store-unavailable")
    assert response.headers["Retry-After"].isdigit()
    assert took <= bound + MARGIN, f"answered after {took:.2f} s (bound {bound} s)"


def assert_recovers(store: Store, within: float = 10.0) -> None:
    """Reads answer again without a restart, and a command goes through."""
    deadline = time.monotonic() + within
    while store.api.cards(store.customer).status_code != 200:
        assert time.monotonic() < deadline, "the API did not recover from the store outage"
        time.sleep(0.2)


def add_second_card(store: Store) -> httpx.Response:
    return store.api.add_card(store.customer, "pm_card_mastercard",
                              idempotency_key=f"second-{store.customer}")


@pytest.mark.postgres
def test_when_the_store_refuses_connections_a_command_answers_503_within_the_default_bound(
        tmp_path: Path) -> None:
    with serving_behind_a_proxy(tmp_path, store_timeout=DEFAULT_BOUND) as store:
        before = stored_events(store.database)
        store.proxy.refuse()
        response, took = timed(lambda: add_second_card(store))
        assert_store_unavailable(response, took, DEFAULT_BOUND)
        store.proxy.restore()
        assert_recovers(store)
        assert stored_events(store.database) == before
        # the client's retry with the same Idempotency-Key then goes through, once
        assert add_second_card(store).status_code == 201
        assert len(store.api.cards(store.customer).json()["payment_methods"]) == 2


@pytest.mark.postgres
def test_when_the_store_accepts_but_never_answers_commands_and_readiness_answer_503_in_bound(
        tmp_path: Path) -> None:
    with serving_behind_a_proxy(tmp_path) as store:
        before = stored_events(store.database)
        store.proxy.black_hole()
        response, took = timed(lambda: add_second_card(store))
        assert_store_unavailable(response, took, BOUND)
        response, took = timed(lambda: store.api.request("GET", "/readyz"))
        assert_store_unavailable(response, took, BOUND)
        store.proxy.restore()
        assert_recovers(store)
        assert stored_events(store.database) == before
        assert add_second_card(store).status_code == 201


@pytest.mark.postgres
def test_when_the_store_goes_away_during_a_command_it_answers_503_within_the_bound(
        tmp_path: Path) -> None:
    with serving_behind_a_proxy(tmp_path) as store, \
            connect(store.database) as locker, connect(store.database, autocommit=True) as watcher:
        before = stored_events(store.database)
        # given a command held up on the events table's lock
        locker.execute("LOCK TABLE cardledger_events IN EXCLUSIVE MODE")
        with ThreadPoolExecutor(1) as pool:
            start = time.monotonic()
            pending = pool.submit(add_second_card, store)
            wait_for_a_lock_wait(watcher, "cardledger_events")
            # when the server goes away: its sessions end and its port closes
            store.proxy.refuse()
            watcher.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = %s AND pid NOT IN (%s, pg_backend_pid())",
                            (store.database, locker.info.backend_pid))
            response = pending.result()
            took = time.monotonic() - start
        assert_store_unavailable(response, took, BOUND)
        locker.rollback()
        store.proxy.restore()
        assert_recovers(store)
        assert stored_events(store.database) == before
        assert add_second_card(store).status_code == 201


@pytest.mark.postgres
def test_when_another_session_holds_the_events_lock_a_command_answers_503_within_the_bound(
        tmp_path: Path) -> None:
    with serving_behind_a_proxy(tmp_path) as store, connect(store.database) as locker:
        before = stored_events(store.database)
        locker.execute("LOCK TABLE cardledger_events IN EXCLUSIVE MODE")
        response, took = timed(lambda: add_second_card(store))
        assert_store_unavailable(response, took, BOUND)
        locker.rollback()
        assert stored_events(store.database) == before
        assert add_second_card(store).status_code == 201


@pytest.mark.postgres
def test_when_another_session_locks_a_view_a_read_answers_503_within_the_bound(
        tmp_path: Path) -> None:
    with serving_behind_a_proxy(tmp_path) as store, connect(store.database) as locker:
        locker.execute("LOCK TABLE cl_customers IN ACCESS EXCLUSIVE MODE")
        response, took = timed(lambda: store.api.cards(store.customer))
        assert_store_unavailable(response, took, BOUND)
        locker.rollback()
        assert_recovers(store)


@pytest.mark.postgres
def test_when_the_database_is_dropped_commands_and_readiness_answer_503_within_the_bound(
        tmp_path: Path) -> None:
    with throwaway_database() as database, \
            serving(base_settings(tmp_path, database, store_timeout=BOUND,
                                  postgres_connect_timeout=1)) as live:
        api = api_for(live)
        assert api.request("GET", "/readyz").status_code == 200
        # given the database disappears under the running server
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        # then readiness fails, so a balancer drains us, and so do commands and reads
        for call in (lambda: api.request("GET", "/readyz"),
                     lambda: api.switch_online_payments(True),
                     lambda: api.cards("cu1")):
            response, took = timed(call)
            assert_store_unavailable(response, took, BOUND)
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


def wait_for_a_lock_wait(conn: psycopg.Connection[Any], table: str) -> None:
    """Until some session waits for a lock on ``table``."""
    deadline = time.monotonic() + 5
    while not conn.execute("SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                           "WHERE c.relname = %s AND NOT l.granted", (table,)).fetchone():
        assert time.monotonic() < deadline, f"no session came to wait for {table}"
        time.sleep(0.02)

"""The store timeout at the level of one call (storage/bounded_postgres.py), on the real
PostgreSQL; what the API answers during outages is in tests/api/test_outages.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import Settings
from storage.bounded_postgres import StoreTimeout
from cardledger.wiring import Runtime, open_runtime
from tests.conftest import PG_HOST, PG_PORT, PG_USER

pytestmark = pytest.mark.postgres

BOUND = 1.0
MARGIN = 0.5


@pytest.fixture
def runtime(tmp_path: Path, postgres_database: str) -> Iterator[Runtime]:
    settings = Settings(_env_file=None, data_dir=tmp_path, store="postgres",
                        postgres_host=PG_HOST, postgres_port=PG_PORT, postgres_user=PG_USER,
                        postgres_dbname=postgres_database, store_timeout=BOUND)
    with open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as rt:
        yield rt


def test_the_default_store_timeout_is_at_most_five_seconds() -> None:
    assert Settings(_env_file=None).store_timeout <= 5


def test_the_store_timeout_is_also_the_servers_statement_timeout(runtime: Runtime) -> None:
    assert runtime.read_model.db.read("SHOW statement_timeout") == [{"statement_timeout": "1s"}]


def test_a_statement_longer_than_the_store_timeout_fails_within_it(runtime: Runtime) -> None:
    start = time.monotonic()
    with pytest.raises(StoreTimeout):
        runtime.read_model.db.read("SELECT pg_sleep(3)")
    assert time.monotonic() - start <= BOUND + MARGIN


def test_a_transaction_that_keeps_moving_may_outlast_the_store_timeout(runtime: Runtime) -> None:
    # as a rebuild's bulk copy does: each statement is short, the whole is not
    with runtime.read_model.db.transaction() as tx:
        for _ in range(4):
            tx.execute("SELECT pg_sleep(0.4)")
        assert tx.execute("SELECT 1 AS one").one() == {"one": 1}


def test_after_a_call_ran_out_of_time_the_next_ones_in_that_context_fail_at_once(
        runtime: Runtime) -> None:
    with pytest.raises(StoreTimeout):
        runtime.read_model.db.read("SELECT pg_sleep(3)")
    start = time.monotonic()
    with pytest.raises(StoreTimeout, match="not waiting again"):
        runtime.read_model.position()
    assert time.monotonic() - start < 0.1
    # and, one store timeout later, they try again
    time.sleep(BOUND)
    assert runtime.read_model.position() == 0

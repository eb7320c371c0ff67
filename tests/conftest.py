"""Shared fixtures: a fixed clock, and one runtime per store.

PostgreSQL tests get a throwaway database each, on the real server given by
CARDLEDGER_TEST_POSTGRES_HOST/PORT/USER (default 127.0.0.1:5432, postgres).
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import Settings
from cardledger.wiring import Runtime, migrate_store, open_runtime

PG_HOST = os.environ.get("CARDLEDGER_TEST_POSTGRES_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("CARDLEDGER_TEST_POSTGRES_PORT", "5432"))
PG_USER = os.environ.get("CARDLEDGER_TEST_POSTGRES_USER", "postgres")

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def fail_on_unhandled_async_errors() -> Iterator[None]:
    """An asyncio task or callback that died with nobody awaiting it fails the test.

    asyncio reports those only through its logger ("Task exception was never
    retrieved", "Exception in callback"); threads and finalisers are made errors
    by filterwarnings in pyproject.toml."""
    collect = _Collect()
    logger = logging.getLogger("asyncio")
    logger.addHandler(collect)
    try:
        yield
    finally:
        logger.removeHandler(collect)
    if collect.records:
        pytest.fail("unhandled asyncio error: " + "; ".join(
            f"{r.getMessage()} {r.exc_info[1]!r}" if r.exc_info else r.getMessage()
            for r in collect.records), pytrace=False)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _admin_connection() -> psycopg.Connection:
    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres",
                           autocommit=True)


def postgres_settings(database: str, data_dir: Path, **overrides: object) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, store="postgres",
                    postgres_host=PG_HOST, postgres_port=PG_PORT, postgres_user=PG_USER,
                    postgres_dbname=database, **overrides)


@contextmanager
def throwaway_database(prefix: str = "cardledger_test_", *,
                       migrated: bool = True) -> Iterator[str]:
    """A fresh database on the real server, dropped afterwards even on failure;
    migrated (as `cardledger migrate` does in a deployment) unless asked not to."""
    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    with _admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        if migrated:
            migrate_store(postgres_settings(name, Path(".cardledger")))
        yield name
    finally:
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_database() -> Iterator[str]:
    with throwaway_database() as name:
        yield name


def settings_for(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    if store == "sqlite":
        return Settings(_env_file=None, data_dir=tmp_path / "data", store="sqlite")
    database = request.getfixturevalue("postgres_database")
    return Settings(_env_file=None, data_dir=tmp_path / "data", store="postgres",
                    postgres_host=PG_HOST, postgres_port=PG_PORT, postgres_user=PG_USER,
                    postgres_dbname=database, postgres_pool_size=4, postgres_max_overflow=16)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return settings_for(request.param, tmp_path, request)


@pytest.fixture
def runtime(store_settings: Settings, clock: Clock,
            request: pytest.FixtureRequest) -> Iterator[Runtime]:
    """No projector thread: a command's changes reach the views with its append
    (inline) when they are current; otherwise the test brings them up to date
    (projector.catch_up). Tests of the projector itself, or of what it makes
    of events edited in the store after they were appended, are marked
    ``projector_only``: every change is then left to it."""
    if request.node.get_closest_marker("projector_only"):
        store_settings = store_settings.model_copy(update={"inline_views": False})
    with open_runtime(store_settings, processor=SandboxProcessor(), clock=clock,
                      run_projector=False) as rt:
        yield rt

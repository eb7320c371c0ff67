"""The API under test: a real uvicorn server on a free port.

One server per test module and store (SQLite file, or a throwaway PostgreSQL
database), so the many small contract tests stay fast; each test gets fresh
company and customer ids and its own random keys, so tests never see each
other's data. Tests that need a server of their own (a restart, a rate
limit, a failing store) start one with ``serving``.

The projector thread is off: read-your-writes in the API (a command waits
for the views, applying events itself) is what makes a command visible to
the next read, so the tests catch it if that breaks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI

from api.app import create_app
from api.auth import KeyRing
from api.openapi import GUARD_CODES
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import Settings
from cardledger.wiring import Runtime, open_runtime
from domain.processor import Processor
from tests.api.client import Api, keys_setting, new_keys
from tests.api.documented_problems import PROMISED, SEEN, UNDOCUMENTED, DocumentedProblems
from tests.api.live_server import LiveServer
from tests.conftest import PG_HOST, PG_PORT, PG_USER, throwaway_database


@dataclass
class Live:
    url: str
    app: FastAPI
    runtime: Runtime


def fresh_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:10]


def base_settings(data_dir: Path, database: str | None = None, **overrides: object) -> Settings:
    """Rate limiting is off unless a test is about it."""
    store = {"store": "postgres", "postgres_host": PG_HOST, "postgres_port": PG_PORT,
             "postgres_user": PG_USER, "postgres_dbname": database,
             "postgres_pool_size": 4, "postgres_max_overflow": 16} if database else {}
    fields = {**store, "api_rate_limit_per_second": 0.0, **overrides}
    return Settings(_env_file=None, data_dir=data_dir, **fields)  # type: ignore[arg-type]


@contextmanager
def serving(settings: Settings, processor: Processor | None = None,
            keys: KeyRing | None = None, *, projector_thread: bool = False) -> Iterator[Live]:
    with open_runtime(settings, processor=processor or SandboxProcessor(),
                      run_projector=projector_thread) as runtime:
        app = create_app(runtime, keys=keys)
        with LiveServer(DocumentedProblems(app)) as server:
            yield Live(server.url, app, runtime)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How much of the documented problem contract the API tests provoked."""
    if PROMISED:
        routed = {(op, code) for op, code in PROMISED if code not in GUARD_CODES}
        terminalreporter.write_line(
            f"problem contract: {len(SEEN & PROMISED)} of {len(PROMISED)} documented "
            f"(operation, code) pairs were answered in this run; {len(SEEN & routed)} of "
            f"{len(routed)} leaving out the guard's codes (documented on every operation)")


@pytest.fixture(autouse=True)
def every_problem_answered_is_documented() -> Iterator[None]:
    """See tests/api/documented_problems.py."""
    UNDOCUMENTED.clear()
    yield
    assert UNDOCUMENTED == [], "problems answered but not in the OpenAPI document"


def api_for(live: Live, like: Api | None = None) -> Api:
    """An Api on fresh companies (or on ``like``'s, with its keys), whose keys
    the server now accepts."""
    if like is not None:
        keys, company, other = like.keys, like.company, like.other_company
    else:
        company, other = fresh_id("co"), fresh_id("other")
        keys = new_keys(company, other)
    live.app.state.keys = KeyRing.parse(keys_setting(keys))
    return Api(live.url, keys, company, other)


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         ) -> Iterator[Live]:
    """Both stores: tests using it run once on SQLite and once on PostgreSQL."""
    data_dir = tmp_path_factory.mktemp("api")
    if request.param == "sqlite":
        with serving(base_settings(data_dir)) as live:
            yield live
        return
    with throwaway_database("cardledger_api_") as database, \
            serving(base_settings(data_dir, database)) as live:
        yield live


@pytest.fixture(scope="module")
def live_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """For behaviour the store does not change (authorisation, the guard, logs)."""
    with serving(base_settings(tmp_path_factory.mktemp("api"))) as live:
        yield live


@pytest.fixture
def api(live: Live) -> Iterator[Api]:
    client = api_for(live)
    yield client
    client.close()


@pytest.fixture
def sqlite_api(live_sqlite: Live) -> Iterator[Api]:
    client = api_for(live_sqlite)
    yield client
    client.close()


@pytest.fixture
def customer() -> str:
    return fresh_id("cu")

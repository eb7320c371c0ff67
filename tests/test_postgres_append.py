"""The append's own transaction on PostgreSQL (storage/postgres_append.py):
the library's statements with BEGIN and COMMIT written out. An append is
reported stored only when the server committed it, and a failed one leaves
its pooled connection clean for the next."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import InternalError, RecordConflictError
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.wiring import Runtime, open_runtime
from domain.company import Company
from domain.provenance import Provenance
from storage import same_transaction
from tests.conftest import postgres_settings

pytestmark = pytest.mark.postgres

ADMIN = Provenance("user:admin", "admin")


@pytest.fixture
def pg_runtime(postgres_database: str, tmp_path: Path) -> Iterator[Runtime]:
    settings = postgres_settings(postgres_database, tmp_path / "data", postgres_pool_size=1,
                                 postgres_max_overflow=0)
    with open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as rt:
        yield rt


def stored_company(runtime: Runtime, company_id: str) -> list[Any]:
    company = Company.register(company_id, ADMIN)
    company.switch_online_payments(True, ADMIN)
    return [runtime.ledger.mapper.to_stored_event(e) for e in company.collect_events()]


class SwallowsAFailure:
    """Same-transaction work with a bug: a statement fails, and it says nothing."""

    def under_lock(self, cursor: Any) -> None:
        pass

    def run(self, cursor: Any, notification_ids: Sequence[int]) -> None:
        connection = cursor.connection
        with contextlib.suppress(psycopg.Error), connection.pipeline():
            connection.execute("SELECT 1 / 0")

    def committed(self) -> None:
        raise AssertionError("told of a commit that did not happen")


def test_an_append_the_server_rolled_back_is_never_reported_stored(
        pg_runtime: Runtime) -> None:
    # Given an append whose transaction a swallowed failure has aborted
    recorder = pg_runtime.ledger.recorder
    before = recorder.max_notification_id()
    events = stored_company(pg_runtime, "acme")

    # When it is inserted, the server answers its COMMIT with ROLLBACK
    with pytest.raises(InternalError, match="rolled back at COMMIT"):
        recorder.insert_events(events, **{same_transaction.KEYWORD: SwallowsAFailure()})

    # Then nothing is stored, and the same events append cleanly afterwards
    # on the pool's one connection
    assert recorder.max_notification_id() == before
    ids = recorder.insert_events(events)
    assert ids is not None and len(ids) == 2
    assert recorder.max_notification_id() == ids[-1]


def test_a_conflicting_append_leaves_its_connection_clean(
        pg_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a company already stored, and the states connections return to the pool in
    recorder = pg_runtime.ledger.recorder
    events = stored_company(pg_runtime, "acme")
    recorder.insert_events(events)
    head = recorder.max_notification_id()
    returned: list[TransactionStatus] = []
    reset = ConnectionPool._reset_connection

    def noting(pool: ConnectionPool, conn: Any) -> None:
        returned.append(conn.pgconn.transaction_status)
        reset(pool, conn)

    monkeypatch.setattr(ConnectionPool, "_reset_connection", noting)

    # When the same versions are appended again
    with pytest.raises(RecordConflictError):
        recorder.insert_events(events)

    # Then nothing more is stored, the connection came back to the pool with
    # its failed transaction ended, and it serves the next append at once
    assert recorder.max_notification_id() == head
    assert returned and set(returned) == {TransactionStatus.IDLE}
    ids = recorder.insert_events(stored_company(pg_runtime, "globex"))
    assert ids is not None and ids[0] > head


def test_the_ids_answered_are_the_rows_committed(pg_runtime: Runtime) -> None:
    # Given two appends
    recorder = pg_runtime.ledger.recorder
    first = recorder.insert_events(stored_company(pg_runtime, "acme"))
    second = recorder.insert_events(stored_company(pg_runtime, "globex"))

    # Then each answered the ids its rows hold, in commit order, with no gap
    assert first is not None and second is not None
    stored = recorder.select_notifications(start=None, limit=10)
    assert [n.id for n in stored] == [*first, *second]
    assert [n.id for n in stored] == list(range(first[0], first[0] + 4))

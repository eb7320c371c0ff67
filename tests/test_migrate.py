"""`cardledger migrate`: numbered migrations under a lock, a recorded version,
and every other process refusing, in one line, to start on a database behind it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from cardledger.schema import LATEST
from cardledger.schema.runner import MIGRATIONS
from cardledger.settings import Settings
from cardledger.wiring import migrate_store, open_runtime
from projections.schema import TABLES
from tests.conftest import PG_HOST, PG_PORT, PG_USER, throwaway_database

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def empty_database() -> Iterator[str]:
    with throwaway_database("cardledger_migrate_", migrated=False) as name:
        yield name


def env_for(tmp_path: Path, database: str | None) -> dict[str, str]:
    env = {**os.environ, "CARDLEDGER_DATA_DIR": str(tmp_path / "data")}
    if database is not None:
        env |= {"CARDLEDGER_STORE": "postgres", "CARDLEDGER_POSTGRES_HOST": PG_HOST,
                "CARDLEDGER_POSTGRES_PORT": str(PG_PORT), "CARDLEDGER_POSTGRES_USER": PG_USER,
                "CARDLEDGER_POSTGRES_DBNAME": database}
    return env


def start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "entrypoints.cli", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def recorded_versions(database: str) -> list[int]:
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database) as conn:
        return [r[0] for r in conn.execute("SELECT version FROM cl_schema_version ORDER BY 1")]


@pytest.mark.postgres
def test_six_processes_migrating_an_empty_database_at_once_all_succeed(
        tmp_path: Path, empty_database: str) -> None:
    # given an empty database, when six processes migrate it at the same moment
    env = env_for(tmp_path, empty_database)
    processes = [start(env, "migrate") for _ in range(6)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in processes]
    # then every one comes up and ends well, and each migration ran exactly once
    assert [code for code, _, _ in results] == [0] * 6, [err for _, _, err in results]
    applied = [line for _, out, _ in results for line in out.splitlines()
               if line.startswith("applied migration")]
    assert sorted(applied) == sorted(f"applied migration {m.version}: {m.name}"
                                     for m in MIGRATIONS)
    assert all(f"at version {LATEST}" in out for _, out, _ in results)
    assert recorded_versions(empty_database) == [m.version for m in MIGRATIONS]


@pytest.mark.postgres
def test_the_workers_started_with_the_one_shot_migrate_all_come_up(
        tmp_path: Path, empty_database: str) -> None:
    # given an empty database, when migrate and five workers start at once, and
    # each worker that finds the schema behind is restarted (as compose does)
    env = env_for(tmp_path, empty_database)
    migrate = start(env, "migrate")
    workers = [start(env, "relay-lag", "--json") for _ in range(5)]
    assert migrate.wait(timeout=120) == 0, migrate.communicate()[1]
    for worker in workers:
        code, (_, err) = worker.wait(timeout=120), worker.communicate()
        if code != 0:  # it started before migrate finished: told what to run, no traceback
            assert code == 2 and "run `cardledger migrate`" in err and "Traceback" not in err, err
            again = start(env, "relay-lag", "--json")
            assert again.wait(timeout=120) == 0, again.communicate()[1]
    # then every worker came up, and the schema is whole
    assert recorded_versions(empty_database) == [m.version for m in MIGRATIONS]


@pytest.mark.postgres
@pytest.mark.parametrize("command", [["project"], ["verify"], ["relay-lag"], ["serve"]])
def test_a_process_on_an_unmigrated_database_says_what_to_run(
        tmp_path: Path, empty_database: str, command: list[str]) -> None:
    process = start(env_for(tmp_path, empty_database), *command)
    code, (_, err) = process.wait(timeout=60), process.communicate()
    assert code == 2
    assert err.strip().splitlines() == [(
        f"cardledger: the database schema is at version 0, this cardledger needs {LATEST}: "
        "run `cardledger migrate` first")]


@pytest.mark.postgres
def test_migrating_again_does_nothing(tmp_path: Path, empty_database: str) -> None:
    env = env_for(tmp_path, empty_database)
    first = subprocess.run([sys.executable, "-m", "entrypoints.cli", "migrate"], env=env,
                           capture_output=True, text=True, timeout=120, check=True)
    second = subprocess.run([sys.executable, "-m", "entrypoints.cli", "migrate"], env=env,
                            capture_output=True, text=True, timeout=120, check=True)
    assert first.stdout.count("applied migration") == LATEST
    assert second.stdout.strip() == f"the database schema is at version {LATEST} (nothing to do)"


def test_the_embedded_default_migrates_itself_in_every_process(tmp_path: Path) -> None:
    # given a fresh data directory, when six processes open it at once with no migrate step
    env = env_for(tmp_path, None)
    processes = [start(env, "relay-lag", "--json") for _ in range(6)]
    results = [(p.wait(timeout=120), p.communicate()[1]) for p in processes]
    # then all come up, and the schema is recorded once, whole
    assert [code for code, _ in results] == [0] * 6, results
    with sqlite3.connect(tmp_path / "data" / "cardledger.sqlite3") as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM cl_schema_version ORDER BY 1")]
    assert versions == [m.version for m in MIGRATIONS]


def columns(conn: sqlite3.Connection) -> dict[str, list[tuple[str, str]]]:
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'cl_%'")]
    return {t: [(c[1], c[2]) for c in conn.execute(f"PRAGMA table_info({t})")] for t in tables}


def test_the_rebuilds_staging_tables_match_the_migrated_ones(tmp_path: Path) -> None:
    # projections/schema.py (the rebuild's in-memory copy) must stay the migrated shape.
    migrate_store(Settings(_env_file=None, data_dir=tmp_path, store="sqlite"))
    with sqlite3.connect(tmp_path / "cardledger.sqlite3") as conn:
        migrated = columns(conn)
    staging = sqlite3.connect(":memory:")
    for statement in TABLES:
        staging.execute(statement)
    for table, shape in columns(staging).items():
        assert migrated[table] == shape, table


def test_open_runtime_on_sqlite_needs_no_migrate_step(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, store="sqlite")
    with open_runtime(settings, run_projector=False) as runtime:
        assert runtime.read_model.position() == 0


@pytest.mark.postgres
def test_migrators_released_at_the_same_instant_take_turns(tmp_path: Path,
                                                          empty_database: str) -> None:
    # given six migrators held at a barrier (subprocesses spread out while importing)
    settings = Settings(_env_file=None, data_dir=tmp_path, store="postgres",
                        postgres_host=PG_HOST, postgres_port=PG_PORT, postgres_user=PG_USER,
                        postgres_dbname=empty_database)
    barrier = threading.Barrier(6)

    def migrator() -> int:
        barrier.wait()
        return len(migrate_store(settings)[0])

    # when they are let go together
    with ThreadPoolExecutor(6) as pool:
        applied = list(pool.map(lambda _: migrator(), range(6)))
    # then none failed, and each migration ran once
    assert sum(applied) == LATEST
    assert recorded_versions(empty_database) == [m.version for m in MIGRATIONS]


def test_the_relays_position_is_carried_into_the_one_position_table(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a store at migration 3 whose relay had published up to position 42
    from cardledger.schema import runner  # noqa: PLC0415
    from consumers.relay import relay_position  # noqa: PLC0415
    from projections.database import Database  # noqa: PLC0415

    settings = Settings(_env_file=None, data_dir=tmp_path, store="sqlite")
    monkeypatch.setattr(runner, "MIGRATIONS", MIGRATIONS[:3])
    migrate_store(settings)
    with sqlite3.connect(tmp_path / "cardledger.sqlite3") as conn:
        conn.execute("INSERT INTO cl_relay_tracking VALUES ('kafka-relay', 42)")
    monkeypatch.setattr(runner, "MIGRATIONS", MIGRATIONS)
    # When the store is migrated to the latest (4 moves the position)
    applied, _ = migrate_store(settings)
    # Then the relay carries on from 42, reading the one position table
    assert [m.version for m in applied][0] == 4
    with open_runtime(settings, run_projector=False) as runtime:
        assert relay_position(Database(runtime.ledger)) == 42
        assert runtime.read_model.position() == 0  # the views' own row untouched

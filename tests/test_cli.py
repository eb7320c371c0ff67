"""The `cardledger` command as a newcomer and an auditor use it (real subprocesses)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_HOST, PG_PORT, PG_USER


def cardledger(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cardledger.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "CARDLEDGER_DATA_DIR": str(tmp_path / "data")}


@pytest.fixture
def postgres_env(tmp_path: Path, postgres_database: str) -> dict[str, str]:
    return {**os.environ, "CARDLEDGER_DATA_DIR": str(tmp_path / "data"),
            "CARDLEDGER_STORE": "postgres", "CARDLEDGER_POSTGRES_HOST": PG_HOST,
            "CARDLEDGER_POSTGRES_PORT": str(PG_PORT), "CARDLEDGER_POSTGRES_USER": PG_USER,
            "CARDLEDGER_POSTGRES_DBNAME": postgres_database}


def demo_customer(stdout: str) -> str:
    return stdout.split("customer ", 1)[1].split(" ", 1)[0]


@pytest.mark.parametrize("env_name", ["sqlite_env", pytest.param("postgres_env", marks=pytest.mark.postgres)])
def test_the_demo_tells_the_seed_story_and_verify_agrees(env_name: str, request: pytest.FixtureRequest) -> None:
    env = request.getfixturevalue(env_name)
    demo = cardledger(env, "demo")
    assert demo.returncode == 0, demo.stderr
    cards = demo.stdout.split("Payment Methods", 1)[1].split("View History", 1)[0]
    assert "Mastercard  **** 4444" in cards and "PRIMARY" in cards and "4242" not in cards
    history = demo.stdout.split("View History", 1)[1]
    assert [line.split()[1] for line in history.strip().splitlines()[1:]] == [
        "deleted", "set_primary", "added", "set_primary", "added", "online_payments_enabled"]
    verify = cardledger(env, "verify")
    assert verify.returncode == 0 and "OK" in verify.stdout


def test_replay_prints_a_customers_cards_from_events(sqlite_env: dict[str, str]) -> None:
    customer = demo_customer(cardledger(sqlite_env, "demo").stdout)
    replay = cardledger(sqlite_env, "replay", "acme-plumbing", customer)
    assert replay.returncode == 0, replay.stderr
    state = json.loads(replay.stdout)
    assert [(c["brand"], c["is_primary"]) for c in state["payment_methods"]] == [("mastercard", True)]
    early = json.loads(cardledger(sqlite_env, "replay", "acme-plumbing", customer, "--version", "3").stdout)
    assert [(c["brand"], c["is_primary"]) for c in early["payment_methods"]] == [("visa", True)]


def test_replay_as_of_an_instant_before_the_customer_is_one_readable_line(sqlite_env: dict[str, str]) -> None:
    customer = demo_customer(cardledger(sqlite_env, "demo").stdout)
    replay = cardledger(sqlite_env, "replay", "acme-plumbing", customer, "--as-of", "2001-01-01T00:00:00Z")
    assert replay.returncode == 2
    assert replay.stderr.strip().count("\n") == 0 and "No customer" in replay.stderr


def test_a_malformed_as_of_is_refused_with_usage(sqlite_env: dict[str, str]) -> None:
    replay = cardledger(sqlite_env, "replay", "acme", "1001", "--as-of", "yesterday")
    assert replay.returncode == 2 and "not an ISO-8601 instant" in replay.stderr


def test_verify_exits_non_zero_when_a_view_was_tampered_with(sqlite_env: dict[str, str]) -> None:
    cardledger(sqlite_env, "demo")
    with sqlite3.connect(Path(sqlite_env["CARDLEDGER_DATA_DIR"]) / "cardledger.sqlite3") as db:
        db.execute("UPDATE cl_payment_methods SET last4 = '9999'")
    verify = cardledger(sqlite_env, "verify")
    assert verify.returncode == 1
    assert "last4 view='9999' replay='4444'" in verify.stdout
    assert "2 difference(s)" in verify.stdout  # the live mastercard and the deleted visa


def test_rebuild_projections_repairs_tampered_views(sqlite_env: dict[str, str]) -> None:
    cardledger(sqlite_env, "demo")
    with sqlite3.connect(Path(sqlite_env["CARDLEDGER_DATA_DIR"]) / "cardledger.sqlite3") as db:
        db.execute("DELETE FROM cl_history")
    with sqlite3.connect(Path(sqlite_env["CARDLEDGER_DATA_DIR"]) / "cardledger.sqlite3") as db:
        stored = db.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
    rebuild = cardledger(sqlite_env, "rebuild-projections")
    assert rebuild.returncode == 0 and f"from {stored} events" in rebuild.stdout
    assert cardledger(sqlite_env, "verify").returncode == 0


def test_an_unreachable_postgres_is_one_readable_line(tmp_path: Path) -> None:
    env = {**os.environ, "CARDLEDGER_DATA_DIR": str(tmp_path), "CARDLEDGER_STORE": "postgres",
           "CARDLEDGER_POSTGRES_PORT": "1", "CARDLEDGER_POSTGRES_HOST": "127.0.0.1"}
    verify = cardledger(env, "verify")
    assert verify.returncode == 2
    assert verify.stderr.startswith("cardledger: cannot reach PostgreSQL")
    assert verify.stderr.strip().count("\n") == 0

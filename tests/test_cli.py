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
    return subprocess.run([sys.executable, "-m", "entrypoints.cli", *args], env=env,
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


@pytest.mark.parametrize("env_name", ["sqlite_env", pytest.param("postgres_env", marks=pytest.mark.postgres)])
def test_verify_chain_names_the_first_edited_customer_and_version(
        env_name: str, request: pytest.FixtureRequest) -> None:
    """Given the demo's events and a signed checkpoint, when a stored event is
    edited in the database and the views rebuilt (so views and events agree),
    then verify and verify-chain exit 1 naming the customer and version."""
    from cardledger.settings import Settings  # noqa: PLC0415
    from cardledger.wiring import open_runtime  # noqa: PLC0415
    from domain.ids import customer_aggregate_id  # noqa: PLC0415
    from tests.audit.stored import edit_event  # noqa: PLC0415

    env = {**request.getfixturevalue(env_name), "CARDLEDGER_CHAIN_KEY": "cli-test-secret"}
    customer = demo_customer(cardledger(env, "demo").stdout)
    assert cardledger(env, "checkpoint").returncode == 0
    assert cardledger(env, "verify-chain").returncode == 0
    settings = Settings(_env_file=None, **{k.removeprefix("CARDLEDGER_").lower(): v
                                           for k, v in env.items()
                                           if k.startswith("CARDLEDGER_")})
    with open_runtime(settings, run_projector=False) as runtime:
        edit_event(runtime.ledger, customer_aggregate_id("acme-plumbing", customer), 2,
                   lambda state: state.update(last4="1111"))
    assert cardledger(env, "rebuild-projections").returncode == 0
    verified = cardledger(env, "verify")
    assert verified.returncode == 1
    assert "0 difference" not in verified.stdout and " OK\n" in verified.stdout  # views agree
    assert (f"first break: customer {customer} of company acme-plumbing, version 2: "
            in verified.stdout)
    checked = cardledger(env, "verify-chain")
    assert checked.returncode == 1
    assert checked.stdout.startswith(
        f"first break: customer {customer} of company acme-plumbing, version 2: ")
    # Without the key, verify still checks the links, which the edit broke.
    keyless = {k: v for k, v in env.items() if k != "CARDLEDGER_CHAIN_KEY"}
    assert cardledger(keyless, "verify").returncode == 1


def test_verify_chain_without_a_key_says_so_and_exits_2(sqlite_env: dict[str, str]) -> None:
    checked = cardledger(sqlite_env, "verify-chain")
    assert checked.returncode == 2
    assert checked.stderr.strip() == ("cardledger: CARDLEDGER_CHAIN_KEY is not set: "
                                      "checkpoints cannot be verified")


def test_reconcile_refuses_a_malformed_company_with_exit_2(sqlite_env: dict[str, str]) -> None:
    refused = cardledger(sqlite_env, "reconcile", "--company", "no such/company")
    assert refused.returncode == 2
    assert "argument --company: not a company id: 'no such/company'" in refused.stderr

"""`cardledger verify` and `rebuild-projections` as an operator runs them:
scoped checks, JSON, exit codes, a progress bar only on a terminal, and Ctrl-C
(real subprocesses, real SIGINT, a real pseudo-terminal)."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.common import settings_env
from bench.workload import company_events, history_batches, store_events
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import Settings
from cardledger.wiring import open_runtime
from domain.provenance import Provenance
from projections.rebuild import rebuild
from tests.conftest import settings_for

ME = Provenance("customer:1001", "portal")
ADMIN = Provenance("user:admin", "admin")
CLI = [sys.executable, "-m", "entrypoints.cli"]


def cardledger(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=300,
                          check=False)


def env_for(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "CARDLEDGER_DATA_DIR": str(data_dir), "CARDLEDGER_STORE": "sqlite"}


@dataclass
class Story:
    env: dict[str, str]
    settings: Settings
    visa: str

    def tamper(self, sql: str) -> None:
        with open_runtime(self.settings, processor=SandboxProcessor(),
                          run_projector=False) as rt, rt.read_model.db.transaction() as tx:
            tx.execute(sql)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_customers(request: pytest.FixtureRequest, tmp_path: Path) -> Story:
    """Given acme's customers 1001 (visa) and 2002 (amex), views current."""
    settings = settings_for(request.param, tmp_path, request)
    with open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as rt:
        rt.ledger.set_online_payments("acme", True, ADMIN)
        visa = rt.ledger.add_card("acme", "1001", "pm_card_visa", by=ME).card_id
        rt.ledger.add_card("acme", "2002", "pm_card_amex", by=Provenance("customer:2002", "portal"))
        rt.projector.catch_up()
    return Story(settings_env(settings), settings, visa)


def test_verify_names_the_field_and_both_values(two_customers: Story) -> None:
    two_customers.tamper("UPDATE cl_payment_methods SET last4 = '1111' WHERE brand = 'visa'")
    result = cardledger(two_customers.env, "verify")
    assert result.returncode == 1
    assert (f"customer acme/1001 card {two_customers.visa}: last4 view='1111' replay='4242'"
            in result.stdout.splitlines())
    assert result.stderr == ""  # not a terminal: no progress bar


def test_verify_of_another_customer_or_company_does_not_see_the_difference(
        two_customers: Story) -> None:
    two_customers.tamper("UPDATE cl_payment_methods SET last4 = '1111' WHERE brand = 'visa'")
    env = two_customers.env
    assert cardledger(env, "verify", "--company", "acme", "--customer", "2002").returncode == 0
    assert cardledger(env, "verify", "--company", "acme", "--customer", "1001").returncode == 1
    assert cardledger(env, "verify", "--company", "acme").returncode == 1


def test_verify_json_is_one_document_with_every_difference(two_customers: Story) -> None:
    two_customers.tamper("UPDATE cl_payment_methods SET exp_year = 2001 WHERE brand = 'visa'")
    result = cardledger(two_customers.env, "verify", "--json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False and document["count"] == 1
    assert document["differences"] == [{
        "table": "cl_payment_methods", "company": "acme", "customer": "1001",
        "key": "card_id", "key_value": two_customers.visa, "field": "exp_year",
        "view": 2001, "replay": 2034, "kind": "differs"}]


def test_verify_json_of_equal_views_says_ok(two_customers: Story) -> None:
    result = cardledger(two_customers.env, "verify", "--json")
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert (document["ok"], document["differences"], document["aggregates"]) == (True, [], 3)


@pytest.mark.parametrize(("args", "message"), [
    (["--customer", "1001"], "give the company too"),
    (["--company", "acme", "--customer", "nobody"], "nothing to verify"),
    (["--company", "acme corp"], "company id must be"),
])
def test_bad_scopes_are_one_line_and_exit_2(two_customers: Story, args: list[str],
                                            message: str) -> None:
    result = cardledger(two_customers.env, "verify", *args)
    assert result.returncode == 2, result
    assert message in result.stderr and result.stderr.strip().count("\n") == 0


# --- on a terminal, and Ctrl-C -------------------------------------------------------------

@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with 60,000 events of 6,000 customers and current views: a few
    seconds of work for verify and rebuild, time enough to press Ctrl-C."""
    data_dir = tmp_path_factory.mktemp("big") / "data"
    settings = Settings(_env_file=None, data_dir=data_dir, store="sqlite")
    with open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as rt:
        store_events(rt.ledger, company_events())
        for batch in history_batches(0, 6000, 10, batch_events=5000):
            store_events(rt.ledger, batch)
        rebuild(rt.ledger, rt.read_model)
    return data_dir


class Terminal:
    """A command run on a pseudo-terminal (stdout and stderr), read as it goes."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self._master, slave = pty.openpty()
        self.process = subprocess.Popen([*CLI, *args], env=env, stdin=subprocess.DEVNULL,
                                        stdout=slave, stderr=slave)
        os.close(slave)
        self.seen = ""

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            assert time.monotonic() < deadline, f"no {text!r} on the terminal: {self.seen!r}"
            self._read(0.1)

    def finish(self, timeout: float = 120) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        self._read(0.1)
        return self.process.wait(timeout=1)

    def _read(self, wait: float) -> None:
        if select.select([self._master], [], [], wait)[0]:
            try:
                self.seen += os.read(self._master, 65536).decode(errors="replace")
            except OSError:  # the command ended and closed its side
                time.sleep(wait)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        os.close(self._master)


@pytest.fixture
def terminal() -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    yield opened
    for t in opened:
        t.close()


def test_on_a_terminal_verify_shows_progress_with_an_eta(big_store: Path,
                                                         terminal: list[Terminal]) -> None:
    run = Terminal(env_for(big_store), "verify")
    terminal.append(run)
    run.wait_for("ETA")
    assert run.finish() == 0
    assert "OK" in run.seen


@pytest.mark.parametrize(("command", "working"), [("verify", "verifying"),
                                                  ("rebuild-projections", "rebuilding")])
def test_ctrl_c_exits_130_with_one_line_and_the_views_stay_consistent(
        big_store: Path, terminal: list[Terminal], command: str, working: str) -> None:
    env = env_for(big_store)
    with sqlite3.connect(big_store / "cardledger.sqlite3") as db:
        before = db.execute("SELECT COUNT(*), MAX(position) FROM cl_history").fetchone()
    run = Terminal(env, command)
    terminal.append(run)
    run.wait_for(working)
    run.process.send_signal(signal.SIGINT)
    assert run.finish() == 130
    said = [line for line in run.seen.splitlines() if "cardledger:" in line]
    assert len(said) == 1 and "interrupted" in said[0], run.seen
    assert "Traceback" not in run.seen
    with sqlite3.connect(big_store / "cardledger.sqlite3") as db:
        assert db.execute("SELECT COUNT(*), MAX(position) FROM cl_history").fetchone() == before
    assert cardledger(env, "verify").returncode == 0

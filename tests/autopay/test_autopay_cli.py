"""``cardledger autopay-retry`` and ``remind-expiring`` as cron runs them (real subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import Settings
from cardledger.wiring import open_runtime
from tests.autopay.support import COMPANY, CUSTOMER, charge, customer_with


def cardledger(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "entrypoints.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_a_run_makes_the_retry_that_is_due_and_the_next_run_has_nothing_to_do(
        tmp_path: Path) -> None:
    data = tmp_path / "data"
    two_days_ago = datetime.now(tz=UTC) - timedelta(days=2)
    with open_runtime(Settings(_env_file=None, data_dir=data), processor=SandboxProcessor(),
                      clock=lambda: two_days_ago, run_projector=False) as runtime:
        customer_with(runtime, "pm_card_chargeDeclinedInsufficientFunds", fallback=False,
                      schedule=(1, 5))
        charge_id = charge(runtime).charge.charge_id
    env = {**os.environ, "CARDLEDGER_DATA_DIR": str(data)}
    first = cardledger(env, "autopay-retry")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"retry_scheduled": 1}  # the card declined softly again
    second = cardledger(env, "autopay-retry")
    assert json.loads(second.stdout) == {}
    with open_runtime(Settings(_env_file=None, data_dir=data), processor=SandboxProcessor(),
                      run_projector=False) as runtime:
        made = runtime.ledger.autopay.get_charge(COMPANY, CUSTOMER, charge_id)
        assert [a.round for a in made.attempts] == [0, 1]
        assert made.attempts[1].selection == "autopay"


def test_bad_arguments_are_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {**os.environ, "CARDLEDGER_DATA_DIR": str(tmp_path / "data")}
    for args in (("remind-expiring", "--within-days", "0"),
                 ("remind-expiring", "--within-days", "3651"),
                 ("autopay-retry", "--every", "soon")):
        answer = cardledger(env, *args)
        assert answer.returncode == 2
        assert answer.stderr.strip().splitlines()[-1].startswith("cardledger")

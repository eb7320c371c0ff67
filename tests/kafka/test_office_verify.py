"""`cardledger office-verify`: an office read model fed through Kafka, checked
against cardledger's views by the operator's command (a real subprocess)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import settings_env
from cardledger.demo import COMPANY
from cardledger.wiring import Runtime
from consumers.office_read_model import OfficeReadModel
from tests.kafka.support import all_event_ids, consume_until, make_relay, office_consumer, seed_story

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(180)]


def office_verify(runtime: Runtime, office_db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "entrypoints.cli", "office-verify",
                           "--office-db", str(office_db)], env=settings_env(runtime.settings),
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def office_db(runtime: Runtime, kafka_bootstrap: str, topic: str, tmp_path: Path) -> Path:
    """Given two customers' stories relayed to Kafka and consumed by the office."""
    seed_story(runtime, 2)
    stored = all_event_ids(runtime)
    make_relay(runtime, kafka_bootstrap, topic).catch_up()
    path = tmp_path / "office.sqlite3"
    model = OfficeReadModel(path)
    consumer = office_consumer(kafka_bootstrap, topic, model)
    consume_until(consumer, lambda: model.processed() == len(stored))
    consumer.close()
    model.close()
    return path


def test_an_office_model_that_consumed_everything_matches(runtime: Runtime,
                                                          office_db: Path) -> None:
    result = office_verify(runtime, office_db)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("OK")


def test_each_office_difference_is_one_line_naming_the_field(runtime: Runtime,
                                                             office_db: Path) -> None:
    with sqlite3.connect(office_db) as db:
        card_id, customer = db.execute("SELECT card_id, customer_id FROM office_payment_methods "
                                       "WHERE deleted_at IS NULL LIMIT 1").fetchone()
        db.execute("UPDATE office_payment_methods SET last4 = '1111' WHERE card_id = ?",
                   (card_id,))
        position = db.execute("SELECT MAX(position) FROM office_history").fetchone()[0]
        db.execute("DELETE FROM office_history WHERE position = ?", (position,))
    result = office_verify(runtime, office_db)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert f"customer {COMPANY}/{customer} card {card_id}: last4 office='1111' " \
           "cardledger='4444'" in lines
    assert any(line.endswith(f"history at {position}: only in cardledger's views")
               for line in lines), lines
    assert lines[-1].endswith("2 difference(s)")


def test_no_office_model_is_one_line_and_exit_2(runtime: Runtime, tmp_path: Path) -> None:
    result = office_verify(runtime, tmp_path / "nowhere.sqlite3")
    assert result.returncode == 2
    assert result.stderr.strip() == f"cardledger: no office read model at {tmp_path / 'nowhere.sqlite3'}"

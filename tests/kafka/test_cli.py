"""`cardledger relay`, `relay-lag` and `office-consumer` as the processes they are in production."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import Settings
from cardledger.wiring import open_runtime
from consumers.office_read_model import OfficeReadModel
from consumers.relay import relay_lag
from tests.kafka.conftest import PARTITIONS
from tests.kafka.support import office_differences, seed_story, wait_until

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(120)]


def cardledger(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "entrypoints.cli", *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


@contextmanager
def running(*args: str, env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", *args], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)  # what `docker stop` sends
        process.wait(timeout=30)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def env(data_dir: Path, kafka_bootstrap: str, topic: str) -> dict[str, str]:
    return {**os.environ, "CARDLEDGER_DATA_DIR": str(data_dir), "CARDLEDGER_STORE": "sqlite",
            "CARDLEDGER_KAFKA_BOOTSTRAP": kafka_bootstrap, "CARDLEDGER_KAFKA_TOPIC": topic,
            "CARDLEDGER_KAFKA_DEAD_LETTER_TOPIC": topic + ".dead-letter",
            "CARDLEDGER_KAFKA_CONSUMER_GROUP": "cli-test",
            "CARDLEDGER_KAFKA_TOPIC_PARTITIONS": str(PARTITIONS)}


def test_the_relay_and_office_consumer_processes_bring_the_office_up_to_date(
        data_dir: Path, env: dict[str, str]) -> None:
    # given the seed's story on the embedded store
    settings = Settings(_env_file=None, data_dir=data_dir, store="sqlite")
    with open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as runtime:
        customers = seed_story(runtime, 2)
        head = runtime.ledger.recorder.max_notification_id()
        assert json.loads(cardledger("relay-lag", "--json", env=env).stdout)["behind"] == head
        # when the relay and the office consumer run as their own processes
        with running("relay", env=env) as relay, running("office-consumer", env=env) as office:
            assert wait_until(lambda: relay_lag(runtime.ledger).behind == 0, timeout=30)
            model = OfficeReadModel(data_dir / "office" / "read_model.sqlite3")
            assert wait_until(lambda: model.processed() == head, timeout=30)
        # then both stop cleanly on SIGTERM and the office sees what cardledger's views show
        assert (relay.returncode, office.returncode) == (0, 0)
        assert "relaying events to" in (relay.stdout.read() if relay.stdout else "")
        assert office_differences(runtime, model, customers) == []
    assert cardledger("relay-lag", env=env).stdout.strip() == (
        f"relay at position {head} of {head}: 0 events behind")


def test_the_relay_is_off_without_a_bootstrap_address(data_dir: Path) -> None:
    # given the embedded default with no Kafka configured
    env = {**os.environ, "CARDLEDGER_DATA_DIR": str(data_dir), "CARDLEDGER_KAFKA_BOOTSTRAP": ""}
    # when someone starts the relay
    result = cardledger("relay", env=env)
    # then it says why in one line and exits 2
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "cardledger: the relay is off: set CARDLEDGER_KAFKA_BOOTSTRAP to a Kafka broker")

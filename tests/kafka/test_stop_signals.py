"""The Kafka workers stop within 2 s of SIGTERM, also as PID 1 (real
subprocesses against the noida-db broker)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.kafka.conftest import PARTITIONS, free_port
from tests.processes import as_pid1


@pytest.fixture
def env(tmp_path: Path, kafka_bootstrap: str, topic: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CARDLEDGER_")}
    return {**clean, "CARDLEDGER_DATA_DIR": str(tmp_path / "data"),
            "CARDLEDGER_KAFKA_BOOTSTRAP": kafka_bootstrap, "CARDLEDGER_KAFKA_TOPIC": topic,
            "CARDLEDGER_KAFKA_DEAD_LETTER_TOPIC": topic + ".dead-letter",
            "CARDLEDGER_KAFKA_TOPIC_PARTITIONS": str(PARTITIONS),
            "CARDLEDGER_NOTIFY_ADDRESS_TEMPLATE": "{customer_id}@example.com"}


@pytest.mark.parametrize(("args", "started"), [
    (["relay"], "relaying events to"),
    (["office-consumer", "read-model"], "consuming"),
    (["office-consumer", "notifier"], "consuming"),
])
def test_a_kafka_worker_running_as_pid_1_stops_within_2_seconds_of_sigterm(
        env: dict[str, str], args: list[str], started: str) -> None:
    with as_pid1(args, env) as worker:
        worker.wait_for(started)
        code, took = worker.terminate(within=5)
    assert code == 0, worker.output
    assert took < 2.0


def test_a_consumer_still_waiting_for_the_broker_stops_within_2_seconds(
        env: dict[str, str]) -> None:
    nobody = f"127.0.0.1:{free_port()}"
    with as_pid1(["office-consumer"], {**env, "CARDLEDGER_KAFKA_BOOTSTRAP": nobody}) as worker:
        worker.wait_for("not ready")
        code, took = worker.terminate(within=5)
    assert code == 0, worker.output
    assert took < 2.0

"""The topics are made by the relay alone, with the one partition setting; a
mismatch is refused in one line; the relay's position name is a setting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import Settings
from cardledger.wiring import open_runtime
from tests.kafka.conftest import PARTITIONS
from tests.kafka.support import seed_story, wait_until
from tests.processes import as_pid1


def partitions_of(bootstrap: str, topic: str) -> int | None:
    admin = KafkaAdminClient(bootstrap_servers=[bootstrap])
    try:
        [found] = admin.describe_topics([topic])
    finally:
        admin.close()
    return len(found["partitions"]) if found.get("partitions") else None


def env_for(tmp_path: Path, bootstrap: str, topic: str, partitions: int) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CARDLEDGER_")}
    return {**clean, "CARDLEDGER_DATA_DIR": str(tmp_path / "data"),
            "CARDLEDGER_KAFKA_BOOTSTRAP": bootstrap, "CARDLEDGER_KAFKA_TOPIC": topic,
            "CARDLEDGER_KAFKA_DEAD_LETTER_TOPIC": topic + ".dead-letter",
            "CARDLEDGER_KAFKA_TOPIC_PARTITIONS": str(partitions)}


def cardledger(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "entrypoints.cli", *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def test_a_consumer_started_before_the_relay_waits_for_the_relays_topic(
        tmp_path: Path, kafka_bootstrap: str) -> None:
    topic = f"cardledger.test.{uuid.uuid4().hex[:10]}"
    env = env_for(tmp_path, kafka_bootstrap, topic, 5)
    # given an office consumer started first, on a topic nobody created
    with as_pid1(["office-consumer"], env) as consumer:
        consumer.wait_for("waiting for the relay to create")
        assert partitions_of(kafka_bootstrap, topic) is None
        # when the relay starts
        with as_pid1(["relay"], env) as relay:
            relay.wait_for("relaying events to")
            # then the topic has the configured partitions, and the consumer goes on
            assert partitions_of(kafka_bootstrap, topic) == 5
            consumer.wait_for("consuming", timeout=60)


@pytest.mark.parametrize("command", [["relay"], ["office-consumer"]])
def test_a_topic_with_other_partitions_than_the_setting_is_refused_in_one_line(
        tmp_path: Path, kafka_bootstrap: str, topic: str, command: list[str]) -> None:
    # given the topic exists with PARTITIONS partitions, when a worker expects 12
    result = cardledger(env_for(tmp_path, kafka_bootstrap, topic, 12), *command)
    # then it refuses to start, saying what differs
    assert result.returncode == 2
    [line] = [line for line in result.stderr.splitlines() if line.startswith("cardledger:")]
    assert line == (f"cardledger: Kafka topic {topic!r} has {PARTITIONS} partitions but the "
                    "settings say 12: set CARDLEDGER_KAFKA_TOPIC_PARTITIONS="
                    f"{PARTITIONS} everywhere, or publish to a new topic with a new "
                    "CARDLEDGER_KAFKA_RELAY_NAME")
    assert partitions_of(kafka_bootstrap, topic) == PARTITIONS


def test_a_relay_under_a_new_name_starts_from_the_first_event(
        tmp_path: Path, kafka_bootstrap: str, topic: str) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", store="sqlite")
    with open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as runtime:
        seed_story(runtime, 1)
        head = runtime.ledger.recorder.max_notification_id()
    env = env_for(tmp_path, kafka_bootstrap, topic, PARTITIONS)
    # given the relay published everything under its default name
    with as_pid1(["relay"], env):
        assert wait_until(lambda: json.loads(
            cardledger(env, "relay-lag", "--json").stdout)["behind"] == 0, timeout=30)
    # when an operator points a relay with a new name at the store
    renamed = {**env, "CARDLEDGER_KAFKA_RELAY_NAME": "kafka-relay-v2"}
    # then it has the whole history still to publish
    assert json.loads(cardledger(renamed, "relay-lag", "--json").stdout) == {
        "position": 0, "head": head, "behind": head}

"""The relay and an office consumer serve their metrics on CARDLEDGER_METRICS_PORT."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import Settings
from cardledger.wiring import open_runtime
from tests.api.test_outages import closed_port
from tests.kafka.conftest import PARTITIONS
from tests.kafka.support import seed_story, wait_until
from tests.processes import as_pid1


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    except httpx.TransportError:
        return {}
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_relay_lag_and_consumer_counts_are_scraped_from_the_workers(
        tmp_path: Path, kafka_bootstrap: str, topic: str) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", store="sqlite")
    with open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as runtime:
        seed_story(runtime, 1)
        head = runtime.ledger.recorder.max_notification_id()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CARDLEDGER_")},
           "CARDLEDGER_DATA_DIR": str(tmp_path / "data"),
           "CARDLEDGER_KAFKA_BOOTSTRAP": kafka_bootstrap, "CARDLEDGER_KAFKA_TOPIC": topic,
           "CARDLEDGER_KAFKA_DEAD_LETTER_TOPIC": topic + ".dead-letter",
           "CARDLEDGER_KAFKA_TOPIC_PARTITIONS": str(PARTITIONS),
           # A group of its own: the broker is shared by the session, and a group
           # another test left members in would rebalance this consumer slowly.
           "CARDLEDGER_KAFKA_CONSUMER_GROUP": f"metrics-{topic.rsplit('.', 1)[-1]}"}
    relay_port, office_port = closed_port(), closed_port()
    with as_pid1(["relay"], {**env, "CARDLEDGER_METRICS_PORT": str(relay_port)}), \
            as_pid1(["office-consumer"], {**env, "CARDLEDGER_METRICS_PORT": str(office_port)}):
        handled = ("cardledger_consumer_messages_total",
                   (("consumer", "office-read-model"), ("outcome", "handled")))
        # generous: the consumer waits for the relay to make the topic, then joins
        # its group, which takes long on a loaded machine
        assert wait_until(lambda: scrape(office_port).get(handled) == head, timeout=150), \
            scrape(office_port)
        relay = scrape(relay_port)
        assert relay[("cardledger_relay_lag_events", ())] == 0
        assert relay[("cardledger_relay_lag_seconds", ())] == 0
        assert relay[("cardledger_events_head", ())] == head
        office = scrape(office_port)
        assert office[("cardledger_consumer_messages_total",
                       (("consumer", "office-read-model"), ("outcome", "duplicate")))] == 0

"""Signed checkpoints leave the database with the events: the relay publishes
them like any event, so a copy of the chain heads exists on Kafka, checkable
with the key alone; office systems take them in their stride."""

from __future__ import annotations

from pathlib import Path

import pytest

from cardledger.checkpoints import make_checkpoints
from cardledger.wiring import Runtime
from consumers.envelope import Envelope
from consumers.office_read_model import OfficeReadModel
from domain.checkpoints import CheckpointKey
from tests.kafka.support import all_event_ids, make_relay, read_records, seed_story

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(120)]

KEY = CheckpointKey("k1", b"kafka-test-chain-key")


def test_a_checkpoint_on_the_topic_pins_the_links_the_events_on_the_topic_carry(
        runtime: Runtime, kafka_bootstrap: str, topic: str, tmp_path: Path) -> None:
    # given two customers' stories and a signed checkpoint of their heads
    seed_story(runtime, 2)
    make_checkpoints(runtime.ledger, KEY)
    # when the relay publishes the store
    relay = make_relay(runtime, kafka_bootstrap, topic)
    relay.catch_up()
    relay.close()
    envelopes = [Envelope.from_bytes(r.value)
                 for r in read_records(kafka_bootstrap, topic, len(all_event_ids(runtime)))]
    # then the checkpoint is on the topic, its signature checks out with the key alone...
    (signed,) = [e for e in envelopes if e.type == "Checkpoints.Signed"]
    data = signed.data
    assert KEY.sign(data["position"], data["heads"], data["previous"]) == data["signature"]
    # ...and each head it pins is the link the stream's event on the topic carries
    links = {(e.aggregate_id, e.aggregate_version): e.data["chain_link"] for e in envelopes
             if e.type != "Checkpoints.Signed" and e.type != "Checkpoints.Opened"}
    assert len(data["heads"]) == 3  # the company and two customers
    for stream, _company, _customer, version, link in data["heads"]:
        assert links[(stream, version)] == link
    # ...and an office read model takes the checkpoint events without complaint
    office = OfficeReadModel(tmp_path / "office.sqlite3")
    for envelope in envelopes:
        office.handle(envelope)

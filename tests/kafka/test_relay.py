"""The relay publishes every stored event to Kafka: once, in order per
customer, never losing one when it crashes or the broker goes away."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from kafka import KafkaProducer
from kafka.errors import KafkaError, MessageSizeTooLargeError

from cardledger.demo import COMPANY
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.wiring import Runtime
from consumers.envelope import Envelope
from consumers.office_read_model import OfficeReadModel
from consumers.relay import Relay, ensure_topics, kafka_producer, relay_lag
from domain.provenance import Provenance
from tests.kafka.conftest import Broker
from tests.kafka.support import (
    all_event_ids,
    consume_until,
    make_relay,
    office_consumer,
    office_differences,
    read_records,
    read_topic,
    seed_story,
    wait_until,
)

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(120)]


class Crash(Exception):
    """Stands for the relay process dying at the worst moment."""


def test_every_event_of_the_seed_story_arrives_once_in_order_per_customer(
        runtime: Runtime, kafka_bootstrap: str, topic: str,
        every_envelope_the_relay_sends_meets_its_schema: list[str]) -> None:
    # given three customers who lived through the seed's story
    customers = seed_story(runtime, 3)
    stored = all_event_ids(runtime)
    # when the relay catches up
    relay = make_relay(runtime, kafka_bootstrap, topic)
    assert relay.catch_up() == len(stored)
    assert (relay.sent, relay.failed_batches) == (len(stored), 0)  # its own counts agree
    relay.close()
    # (each envelope went past the schema check on its way out: tests/kafka/conftest.py)
    assert len(every_envelope_the_relay_sends_meets_its_schema) == len(stored)
    # then every event is on the topic exactly once
    records = read_records(kafka_bootstrap, topic, len(stored))
    envelopes = [Envelope.from_bytes(r.value) for r in records]
    assert sorted(e.event_id for e in envelopes) == sorted(stored)
    # ...keyed by its aggregate, so each customer's events share one partition, in version order
    partitions: dict[str, set[int]] = defaultdict(set)
    versions: dict[str, list[int]] = defaultdict(list)
    for record, envelope in zip(records, envelopes, strict=True):
        assert record.key == envelope.aggregate_id.encode()
        assert dict(record.headers) == {"type": envelope.type.encode(),
                                        "position": str(envelope.position).encode()}
        partitions[envelope.aggregate_id].add(record.partition)
        versions[envelope.aggregate_id].append(envelope.aggregate_version)
    assert all(len(p) == 1 for p in partitions.values())
    assert all(v == list(range(1, len(v) + 1)) for v in versions.values())
    # ...and each customer's stream is the one cardledger stored
    for customer in customers:
        mine = [e for e in envelopes if e.customer_id == customer]
        stored_events = runtime.ledger.customer_events(COMPANY, customer)
        assert [(e.type, e.aggregate_version) for e in mine] == [
            (type(s).TOPIC.removeprefix("cardledger/"), s.originator_version)
            for s in stored_events]


def test_the_envelope_describes_the_event_without_processor_tokens_or_fingerprints(
        runtime: Runtime, kafka_bootstrap: str, topic: str) -> None:
    # given the seed's story, in which a Visa was added
    (customer,) = seed_story(runtime, 1)
    make_relay(runtime, kafka_bootstrap, topic).catch_up()
    # when an office system reads the topic
    records = read_records(kafka_bootstrap, topic, len(all_event_ids(runtime)))
    added = next(Envelope.from_bytes(r.value) for r in records
                 if dict(r.headers)["type"] == b"Customer.CardAdded")
    # then the card added is described by public facts only
    assert added.company_id == COMPANY and added.customer_id == customer
    assert added.schema_version == 2 and added.envelope_version == 1  # v2: chain_link
    assert added.actor == f"customer:{customer}" and added.source == "portal"
    assert set(added.data) == {"card_id", "brand", "last4", "exp_month", "exp_year", "funding",
                               "country", "cardholder_name", "chain_link"}
    # ...and no message carries a processor token or a fingerprint
    fingerprint = SandboxProcessor().retrieve("pm_card_visa").fingerprint.encode()
    assert not any(b"pm_card_" in r.value or fingerprint in r.value for r in records)


def test_the_relay_shows_how_many_events_it_is_behind(
        runtime: Runtime, kafka_bootstrap: str, topic: str) -> None:
    # given the seed's story, not yet relayed
    seed_story(runtime, 1)
    head = runtime.ledger.recorder.max_notification_id()
    assert relay_lag(runtime.ledger).as_dict() == {"position": 0, "head": head, "behind": head}
    # when the relay catches up
    make_relay(runtime, kafka_bootstrap, topic).catch_up()
    # then it is nothing behind
    assert relay_lag(runtime.ledger).as_dict() == {"position": head, "head": head, "behind": 0}


def test_a_relay_with_nothing_new_publishes_nothing_and_says_0(
        runtime: Runtime, kafka_bootstrap: str, topic: str) -> None:
    # given a relay that has published the seed's story
    seed_story(runtime, 1)
    relay = make_relay(runtime, kafka_bootstrap, topic)
    try:
        relay.catch_up()
        # when it looks again, then there is nothing to publish
        assert relay.run_once() == 0
    finally:
        relay.close()


def test_a_relay_whose_batch_another_already_published_says_so_and_keeps_the_position(
        runtime: Runtime, kafka_bootstrap: str, topic: str,
        caplog: pytest.LogCaptureFixture) -> None:
    # given the seed's story and two relays under the same name by mistake
    seed_story(runtime, 1)
    head = runtime.ledger.recorder.max_notification_id()
    other = make_relay(runtime, kafka_bootstrap, topic, batch_size=5)
    # when, after the broker acknowledged the first one's batch of 3 and before its
    # position moved, the other publishes everything, 5 at a time
    first = make_relay(runtime, kafka_bootstrap, topic, batch_size=3,
                       after_ack=lambda last: other.catch_up())
    try:
        with caplog.at_level(logging.WARNING, logger="cardledger.relay"):
            assert first.run_once() == 3
    finally:
        first.close()
        other.close()
    # then the first says its batch repeats the other's (the other said nothing),
    # and the position stays where the other left it
    assert [r.getMessage() for r in caplog.records if r.name == "cardledger.relay"] == [
        "another relay moved the position past 0; its batch repeats ours"]
    assert relay_lag(runtime.ledger).position == head


def test_a_batch_that_failed_is_sent_again_with_a_fresh_producer(
        runtime: Runtime, kafka_bootstrap: str, topic: str) -> None:
    # given the seed's story, and a first producer that refuses every message
    # (each is larger than it may send); the producers after it are sound
    seed_story(runtime, 1)
    stored = all_event_ids(runtime)
    made: list[KafkaProducer] = []

    def producers() -> KafkaProducer:
        made.append(KafkaProducer(bootstrap_servers=kafka_bootstrap, max_request_size=16)
                    if not made else kafka_producer(kafka_bootstrap, ack_timeout=5.0))
        return made[-1]

    relay = Relay(runtime.ledger, producers, topic)
    try:
        # when the first batch fails, then the next attempt publishes everything
        with pytest.raises(MessageSizeTooLargeError):
            relay.run_once()
        assert relay.catch_up() == len(stored)
    finally:
        relay.close()
    # ...through a second producer, the failed one dropped
    assert (len(made), relay.failed_batches, relay.sent) == (2, 1, len(stored))
    assert sorted(e.event_id for e in read_topic(kafka_bootstrap, topic, len(stored))) == sorted(
        stored)


def test_the_relays_producer_is_idempotent_and_waits_for_every_replica(
        kafka_bootstrap: str) -> None:
    producer = kafka_producer(kafka_bootstrap)
    try:
        assert (producer.config["enable_idempotence"], producer.config["acks"]) == (True, -1)
    finally:
        producer.close()


def test_a_relay_that_crashes_after_the_ack_resends_and_consumers_apply_each_event_once(
        runtime: Runtime, kafka_bootstrap: str, topic: str, tmp_path: Path) -> None:
    # given customers whose events go out in batches of 5
    customers = seed_story(runtime, 3)
    stored = all_event_ids(runtime)
    acked: list[int] = []

    def crash_on_second_batch(position: int) -> None:
        acked.append(position)
        if len(acked) == 2:
            raise Crash(f"died after the broker acknowledged up to {position}")

    # when the relay dies after the broker acknowledged its second batch,
    # before it could record its position
    crashing = make_relay(runtime, kafka_bootstrap, topic, batch_size=5,
                          after_ack=crash_on_second_batch)
    with pytest.raises(Crash):
        crashing.catch_up()
    crashing.close()
    assert relay_lag(runtime.ledger).position == acked[0]
    # ...and a new relay takes over
    make_relay(runtime, kafka_bootstrap, topic, batch_size=5).catch_up()
    # then the second batch is on the topic twice and nothing is missing
    envelopes = read_topic(kafka_bootstrap, topic, len(stored) + 5)
    assert len(envelopes) == len(stored) + 5
    assert {e.event_id for e in envelopes} == set(stored)
    # ...and the office read model applied each event once
    model = OfficeReadModel(tmp_path / "office.sqlite3")
    consumer = office_consumer(kafka_bootstrap, topic, model)
    consume_until(consumer, lambda: model.processed() == len(stored))
    consume_until(consumer, lambda: consumer.stats.duplicates == 5)
    consumer.close()
    assert consumer.stats.handled == len(stored)
    assert office_differences(runtime, model, customers) == []


@pytest.mark.postgres
def test_commands_succeed_while_the_broker_is_down_and_the_relay_catches_up_after(
        pg_runtime: Runtime, own_broker: Broker, tmp_path: Path) -> None:
    topic = "cardledger.outage"
    ensure_topics(own_broker.bootstrap, {topic: 3, topic + ".dead-letter": 1})
    ledger = pg_runtime.ledger
    admin = Provenance("user:admin", "admin")
    ledger.set_online_payments(COMPANY, True, admin)
    relay = make_relay(pg_runtime, own_broker.bootstrap, topic, max_backoff=1.0,
                       batch_size=20, poll_interval=0.05)
    relay.start()
    # given a stream of portal commands
    done, failures, customers = threading.Event(), [], []

    def portal() -> None:
        i = 0
        while not done.is_set():
            customer = f"outage-{i}"
            me = Provenance(f"customer:{customer}", "portal")
            try:
                ledger.register_customer(COMPANY, customer, me)
                visa = ledger.add_card(COMPANY, customer, "pm_card_visa", by=me)
                ledger.add_card(COMPANY, customer, "pm_card_amex", make_primary=True, by=me)
                ledger.delete_card(COMPANY, customer, visa.card_id, by=me)
            except Exception as e:  # noqa: BLE001 (the test reports every failure)
                failures.append(e)
            customers.append(customer)
            i += 1
            time.sleep(0.01)  # a portal's pace, not a load test

    stream = threading.Thread(target=portal)
    stream.start()
    try:
        assert wait_until(lambda: relay.sent > 10, timeout=20)
        # when the broker stops for a while, commands still coming in
        own_broker.stop()
        during, stopped_at = len(customers), time.monotonic()
        assert wait_until(lambda: relay.failed_batches >= 1 and len(customers) >= during + 10
                          and time.monotonic() - stopped_at > 3, timeout=30)
        own_broker.start()
        done.set()
        stream.join(timeout=30)
        # then every command succeeded
        assert failures == []
        # ...the relay catches up
        assert wait_until(lambda: relay.lag().behind == 0, timeout=60), relay.lag()
    finally:
        done.set()
        relay.close()
    # ...and every event reached the topic; the office model equals the views
    stored = all_event_ids(pg_runtime)
    envelopes = read_topic(own_broker.bootstrap, topic, len(stored))
    assert {e.event_id for e in envelopes} == set(stored)
    model = OfficeReadModel(tmp_path / "office.sqlite3")
    consumer = office_consumer(own_broker.bootstrap, topic, model)
    consume_until(consumer, lambda: model.processed() == len(stored), timeout=60)
    consumer.close()
    assert office_differences(pg_runtime, model, customers) == []


def test_a_batch_failed_because_the_broker_is_gone_leaves_no_producer_thread_behind(
        runtime: Runtime, own_broker: Broker) -> None:
    # given a relay that published the seed's story, then lost its broker; its
    # producer would wait 30 s for acknowledgements, the relay 1.5 s, so the
    # batch fails with its records still pending in the producer (as when a
    # broker goes away under load, before the producer gives up on them)
    topic = "cardledger.gone"
    ensure_topics(own_broker.bootstrap, {topic: 3})
    seed_story(runtime, 1)
    client_id = f"relay-{uuid.uuid4().hex[:8]}"

    def threads() -> list[str]:
        return [t.name for t in threading.enumerate()
                if t.name == f"{client_id}-network-thread" and t.is_alive()]

    relay = Relay(runtime.ledger, lambda: kafka_producer(own_broker.bootstrap, ack_timeout=30.0,
                                                         client_id=client_id),
                  topic, ack_timeout=0.5)
    try:
        relay.catch_up()
        assert threads() != []
        own_broker.stop()
        seed_story(runtime, 1)
        # when the batch fails
        with pytest.raises(KafkaError):
            relay.run_once()
        # then the failed producer is closed for good: its network thread is gone
        # (before, close() gave up on the pending records half-way: the thread
        # lived on, and the producer's finaliser raised in some later test)
        assert wait_until(lambda: threads() == [], timeout=10), threads()
        assert relay.failed_batches == 1
    finally:
        relay.close()

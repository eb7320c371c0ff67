"""Office consumers: a read model built only from Kafka equals cardledger's
own views; crashes re-deliver without double-applying; poison is parked."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient

from cardledger.demo import COMPANY
from cardledger.wiring import Runtime
from consumers.base import OfficeConsumer
from consumers.envelope import Envelope, envelope_of, event_id
from consumers.office_read_model import OfficeReadModel
from domain.provenance import Provenance
from tests.kafka.support import (
    all_event_ids,
    consume_until,
    make_relay,
    office_consumer,
    office_differences,
    read_records,
    seed_story,
)

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(120)]


class Crash(Exception):
    """Stands for the consumer process dying before it committed."""


def test_the_office_read_model_built_from_kafka_equals_cardledgers_views(
        runtime: Runtime, kafka_bootstrap: str, topic: str, tmp_path: Path) -> None:
    # given three seed stories relayed to Kafka
    customers = seed_story(runtime, 3)
    stored = all_event_ids(runtime)
    make_relay(runtime, kafka_bootstrap, topic).catch_up()
    # when the office consumer reads the topic
    model = OfficeReadModel(tmp_path / "office.sqlite3")
    consumer = office_consumer(kafka_bootstrap, topic, model)
    consume_until(consumer, lambda: model.processed() == len(stored))
    consumer.close()
    # then every event was applied once and the office sees what cardledger's views show
    assert (consumer.stats.handled, consumer.stats.duplicates) == (len(stored), 0)
    assert office_differences(runtime, model, customers) == []
    version, cards = model.payment_methods(COMPANY, customers[0]) or (0, [])
    assert [(c["brand"], bool(c["is_primary"])) for c in cards] == [("mastercard", True)]


def test_invoice_payments_show_in_the_office_history_as_in_cardledgers(
        runtime: Runtime, kafka_bootstrap: str, topic: str, tmp_path: Path) -> None:
    # given a customer who paid one invoice and whose second card was declined on another
    (customer,) = seed_story(runtime, 1)
    me = Provenance(f"customer:{customer}", "portal")
    runtime.ledger.pay_invoice(COMPANY, customer, invoice_id="inv-1", amount=12_500,
                               currency="usd", by=me, idempotency_key="pay-inv-1")
    declined = runtime.ledger.add_card(COMPANY, customer, "pm_card_chargeDeclined", by=me)
    runtime.ledger.pay_invoice(COMPANY, customer, invoice_id="inv-2", amount=900,
                               currency="usd", card_id=declined.card_id, by=me,
                               idempotency_key="pay-inv-2")
    stored = all_event_ids(runtime)
    make_relay(runtime, kafka_bootstrap, topic).catch_up()
    # when the office consumer reads the topic
    model = OfficeReadModel(tmp_path / "office.sqlite3")
    consumer = office_consumer(kafka_bootstrap, topic, model)
    consume_until(consumer, lambda: model.processed() == len(stored))
    consumer.close()
    # then its history, payments included, is cardledger's
    assert office_differences(runtime, model, [customer]) == []
    actions = [row["action"] for row in model.history(COMPANY, customer)]
    assert actions[:2] == ["payment_failed", "added"] and "payment_succeeded" in actions


def test_a_consumer_that_crashes_before_committing_gets_the_events_again_and_applies_them_once(
        runtime: Runtime, kafka_bootstrap: str, topic: str, tmp_path: Path) -> None:
    # given relayed events and an office consumer that dies before its first commit
    customers = seed_story(runtime, 2)
    stored = all_event_ids(runtime)
    make_relay(runtime, kafka_bootstrap, topic).catch_up()

    def die(offsets: object) -> None:
        raise Crash("died between handling and committing")

    model = OfficeReadModel(tmp_path / "office.sqlite3")
    first = office_consumer(kafka_bootstrap, topic, model,
                           before_commit=die)
    with pytest.raises(Crash):
        consume_until(first, lambda: False)
    first.close()
    applied_before_crash = first.stats.handled
    assert applied_before_crash > 0
    # when a new consumer of the same group starts over the same state
    second = office_consumer(kafka_bootstrap, topic, model)
    consume_until(second, lambda: model.processed() == len(stored)
                  and second.stats.duplicates == applied_before_crash)
    second.close()
    # then what the first one handled came again and was dropped, the rest applied once
    assert second.stats.handled == len(stored) - applied_before_crash
    assert office_differences(runtime, model, customers) == []


def test_poison_messages_are_parked_on_the_dead_letter_topic_and_the_partition_moves_on(
        runtime: Runtime, kafka_bootstrap: str, topic: str, tmp_path: Path) -> None:
    # given, ahead of a customer's real events on its partition, a message that is
    # not JSON and an envelope the read model fails on every time (no brand)
    (customer,) = seed_story(runtime, 1)
    stored = all_event_ids(runtime)
    first = Envelope.from_bytes(read_first_card_added(runtime, kafka_bootstrap, topic))
    broken = dataclasses.replace(first, event_id="broken-1", aggregate_id="another-aggregate",
                                 aggregate_version=1, data={"card_id": "card_x"})
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    producer.send(topic, key=first.key, value=b"\x00not json").get(timeout=10)
    producer.send(topic, key=first.key, value=broken.to_bytes()).get(timeout=10)
    producer.close()
    make_relay(runtime, kafka_bootstrap, topic).catch_up()
    # when the office consumer reads the partition
    model = OfficeReadModel(tmp_path / "office.sqlite3")
    consumer = office_consumer(kafka_bootstrap, topic, model,
                              retry_delay=0.01)
    consume_until(consumer, lambda: consumer.stats.parked == 2
                  and model.processed() == len(stored))
    consumer.close()
    # then both are parked with the reason, and every real event was still applied
    parked = read_records(kafka_bootstrap, topic + ".dead-letter", 2)
    reasons = [dict(r.headers)["error"].decode() for r in parked]
    assert reasons[0].startswith("undecodable") and "failed 3 times" in reasons[1]
    assert {dict(r.headers)["source-topic"] for r in parked} == {topic.encode()}
    assert office_differences(runtime, model, [customer]) == []
    # ...and the group committed past them, to the end of every partition
    assert committed_offsets(kafka_bootstrap, "office", topic) == end_offsets(kafka_bootstrap, topic)


def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        offsets = admin.list_group_offsets(group)[group]
    finally:
        admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()
                if offset > 0}
    finally:
        consumer.close()


def read_first_card_added(runtime: Runtime, bootstrap: str, topic: str) -> bytes:
    """A real CardAdded envelope, relayed to a scratch topic, to forge poison from."""
    scratch = topic + ".scratch"
    make_relay(runtime, bootstrap, scratch, name="scratch-relay").catch_up()
    records = read_records(bootstrap, scratch, len(all_event_ids(runtime)))
    return next(r.value for r in records if dict(r.headers)["type"] == b"Customer.CardAdded")


def test_an_event_that_overtakes_a_missing_predecessor_is_applied_after_the_gap_fills(
        runtime: Runtime, tmp_path: Path) -> None:
    # given a customer's events as envelopes, the way the relay publishes them
    (customer,) = seed_story(runtime, 1)
    head = runtime.ledger.recorder.max_notification_id() or 0
    envelopes = [envelope_of(runtime.ledger.mapper.to_domain_event(n), n.topic, n.id)
                 for n in runtime.ledger.recorder.select_notifications(start=0, limit=head)]
    model = OfficeReadModel(tmp_path / "office.sqlite3")
    # when one event arrives ahead of its predecessor, then the re-sent pair arrives
    overtaking, missing = envelopes[-1], envelopes[-2]
    for envelope in [*envelopes[:-2], overtaking, missing, overtaking]:
        if not model.seen(envelope.event_id):
            model.handle(envelope)
    # then the model ends up as if they came in order
    assert model.processed() == len(envelopes)
    assert office_differences(runtime, model, [customer]) == []


class StoreHiccup:
    """The office model, whose store is unreachable once, when asked about one event."""

    def __init__(self, model: OfficeReadModel) -> None:
        self.model = model
        self.name = model.name
        self.fail_on: str | None = None

    def seen(self, event_id: str) -> bool:
        if event_id == self.fail_on:
            self.fail_on = None
            raise OSError("office store unreachable")
        return self.model.seen(event_id)

    def handle(self, envelope: Envelope) -> None:
        self.model.handle(envelope)


def middle_of_last_stream(runtime: Runtime) -> str:
    """An event with events of the same customer, hence partition, before and after it."""
    head = runtime.ledger.recorder.max_notification_id() or 0
    notifications = runtime.ledger.recorder.select_notifications(start=0, limit=head + 1)
    stream = [n for n in notifications if n.originator_id == notifications[-1].originator_id]
    assert len(stream) >= 3
    middle = stream[len(stream) // 2]
    return event_id(middle.originator_id, middle.originator_version)


def keep_consuming(consumer: OfficeConsumer, done: Callable[[], bool],
                   timeout: float = 15) -> list[Exception]:
    """run_once over and over as the consumer's loop does, carrying on after a failure."""
    failures: list[Exception] = []
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"not done after {timeout}s: {consumer.stats}"
        try:
            consumer.run_once()
        except Exception as e:  # noqa: BLE001 (the loop logs and goes on; so does the test)
            failures.append(e)
    return failures


@pytest.mark.parametrize("failing", ["first", "middle"])
def test_a_message_failing_mid_batch_in_a_running_consumer_is_handled_on_the_next_poll(
        runtime: Runtime, kafka_bootstrap: str, topic: str, tmp_path: Path,
        failing: str) -> None:
    # given a consumer that has already handled and committed an earlier batch
    relay = make_relay(runtime, kafka_bootstrap, topic)
    customers = seed_story(runtime, 1)
    relay.catch_up()
    model = OfficeReadModel(tmp_path / "office.sqlite3")
    hiccup = StoreHiccup(model)
    consumer = office_consumer(kafka_bootstrap, topic, hiccup)
    earlier = len(all_event_ids(runtime))
    try:
        assert keep_consuming(consumer, lambda: model.processed() == earlier) == []
        # when, in the same still running consumer, the next batch's first message
        # (nothing of its partition done yet) or a middle one (some done) fails
        customers += seed_story(runtime, 2)
        stored = all_event_ids(runtime)
        hiccup.fail_on = stored[earlier] if failing == "first" else middle_of_last_stream(runtime)
        relay.catch_up()
        failures = keep_consuming(consumer, lambda: model.processed() == len(stored))
    finally:
        consumer.close()
    # then it failed once, and that message and the rest of its batch were still
    # applied, once, without reading again the messages finished before it
    assert [str(f) for f in failures] == ["office store unreachable"]
    assert (consumer.stats.handled, consumer.stats.duplicates) == (len(stored), 0)
    assert office_differences(runtime, model, customers) == []


class FailsAtFirst:
    """The office model, whose handling of one event fails the first ``times`` times."""

    def __init__(self, model: OfficeReadModel, times: int,
                 message: str = "office store busy") -> None:
        self.model = model
        self.name = model.name
        self.times = times
        self.message = message
        self.fail_on: str | None = None
        self.attempts = 0

    def seen(self, event_id: str) -> bool:
        return self.model.seen(event_id)

    def handle(self, envelope: Envelope) -> None:
        if envelope.event_id == self.fail_on:
            self.attempts += 1
            if self.attempts <= self.times:
                raise OSError(self.message)
        self.model.handle(envelope)


def test_an_event_that_fails_twice_is_handled_on_its_third_attempt_not_parked(
        runtime: Runtime, kafka_bootstrap: str, topic: str, tmp_path: Path) -> None:
    # given relayed events, one of which the office model fails on twice, then takes
    customers = seed_story(runtime, 1)
    stored = all_event_ids(runtime)
    make_relay(runtime, kafka_bootstrap, topic).catch_up()
    model = OfficeReadModel(tmp_path / "office.sqlite3")
    flaky = FailsAtFirst(model, times=2)
    flaky.fail_on = stored[len(stored) // 2]
    # when a consumer allowed three attempts reads them
    consumer = office_consumer(kafka_bootstrap, topic, flaky, max_attempts=3, retry_delay=0.01)
    try:
        consume_until(consumer, lambda: model.processed() == len(stored), timeout=15)
    finally:
        consumer.close()
    # then the third attempt applied it: nothing parked, every event applied once
    assert flaky.attempts == 3
    assert (consumer.stats.handled, consumer.stats.parked) == (len(stored), 0)
    assert office_differences(runtime, model, customers) == []


def test_a_parked_messages_error_header_is_its_reason_cut_at_1000_characters(
        runtime: Runtime, kafka_bootstrap: str, topic: str, tmp_path: Path) -> None:
    # given relayed events, the first of which the office model fails on with a
    # 5,000-character message, in a consumer that tries each event once
    seed_story(runtime, 1)
    stored = all_event_ids(runtime)
    make_relay(runtime, kafka_bootstrap, topic).catch_up()
    model = OfficeReadModel(tmp_path / "office.sqlite3")
    failing = FailsAtFirst(model, times=1, message="x" * 5000)
    failing.fail_on = stored[0]
    # when the consumer gives up on it and parks it
    consumer = office_consumer(kafka_bootstrap, topic, failing, max_attempts=1)
    try:
        consume_until(consumer, lambda: consumer.stats.parked == 1, timeout=15)
    finally:
        consumer.close()
    # then its error header is the start of the reason, cut at 1,000 characters
    [parked] = read_records(kafka_bootstrap, topic + ".dead-letter", 1)
    error = dict(parked.headers)["error"].decode()
    assert error == ("handler failed 1 times: OSError('" + "x" * 5000)[:1000]

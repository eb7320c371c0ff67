"""Helpers for the Kafka tests: seed data, relay and consumer set-up, reading
a topic, and the field-by-field comparison of the office model with the views."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from cardledger.demo import COMPANY, run_demo
from cardledger.wiring import Runtime
from consumers.base import OfficeConsumer
from consumers.envelope import Envelope, event_id
from consumers.office_read_model import OfficeReadModel
from consumers.relay import Relay, kafka_producer
from projections.views import CardView, HistoryEntry


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def seed_story(runtime: Runtime, times: int) -> list[str]:
    """The seed's story (cardledger demo) for ``times`` fresh customers; their ids."""
    return [run_demo(runtime, lambda line: None) for _ in range(times)]


def make_relay(runtime: Runtime, bootstrap: str, topic: str, **options: Any) -> Relay:
    return Relay(runtime.ledger, lambda: kafka_producer(bootstrap, ack_timeout=5.0), topic,
                 **options)


def office_consumer(bootstrap: str, topic: str, model: OfficeReadModel, group: str = "office",
                    **options: Any) -> OfficeConsumer:
    return OfficeConsumer(model, bootstrap=bootstrap, topic=topic, group=group,
                          dead_letter_topic=topic + ".dead-letter", poll_timeout=0.2, **options)


def consume_until(consumer: OfficeConsumer, done: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"consumer not done after {timeout}s: {consumer.stats}"
        consumer.run_once()


def read_records(bootstrap: str, topic: str, count: int, timeout: float = 20.0) -> list[Any]:
    """The topic's records (no group, from the start) once ``count`` are there."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=None,
                             enable_auto_commit=False, auto_offset_reset="earliest")
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        while len(records) < count and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def read_topic(bootstrap: str, topic: str, count: int, timeout: float = 20.0) -> list[Envelope]:
    return [Envelope.from_bytes(r.value) for r in read_records(bootstrap, topic, count, timeout)]


def all_event_ids(runtime: Runtime) -> list[str]:
    """Every stored event's envelope id, in store order."""
    head = runtime.ledger.recorder.max_notification_id() or 0
    notifications = runtime.ledger.recorder.select_notifications(start=0, limit=head + 1)
    return [event_id(n.originator_id, n.originator_version) for n in notifications]


# --- the office model against cardledger's own views, field by field -----------------------

def _view_card(c: CardView) -> tuple[Any, ...]:
    return (c.id, c.brand, c.last4, c.exp_month, c.exp_year, c.funding, c.is_primary,
            c.added_at, c.added_by, c.added_from)


def _office_card(r: dict[str, Any]) -> tuple[Any, ...]:
    return (r["card_id"], r["brand"], r["last4"], r["exp_month"], r["exp_year"], r["funding"],
            bool(r["is_primary"]), r["added_at"], r["added_by"], r["added_from"])


def _view_entry(h: HistoryEntry) -> tuple[Any, ...]:
    return (h.position, h.at, h.action, h.company_id, h.customer_id, h.card_id, h.brand,
            h.last4, h.actor, h.source, h.detail)


def _office_entry(r: dict[str, Any]) -> tuple[Any, ...]:
    return (r["position"], r["at"], r["action"], r["company_id"], r["customer_id"],
            r["card_id"], r["brand"], r["last4"], r["actor"], r["source"], r["detail"])


def office_differences(runtime: Runtime, model: OfficeReadModel, customers: list[str],
                       company: str = COMPANY) -> list[str]:
    runtime.projector.catch_up()
    problems = []
    for customer in customers:
        listed = runtime.read_model.card_list(company, customer)
        office = model.payment_methods(company, customer)
        view = (listed[0], [_view_card(c) for c in listed[1]]) if listed else None
        mine = (office[0], [_office_card(r) for r in office[1]]) if office else None
        if view != mine:
            problems.append(f"{customer} cards: views {view}, office {mine}")
        view_history = [_view_entry(h) for h in runtime.read_model.history(company, customer)]
        office_history = [_office_entry(r) for r in model.history(company, customer)]
        if view_history != office_history:
            problems.append(f"{customer} history: views {view_history}, office {office_history}")
    return problems

"""Erasure seen from Kafka (docs/erasure.md): given a customer whose card
carries the cardholder's name, relayed before and after an admin erased
them, then no message ever held the name, the erasure is published, and the
office's read model drops the customer's cards."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from cardledger.demo import COMPANY
from cardledger.processors.sandbox import TEST_CARDS, SandboxProcessor
from cardledger.wiring import Runtime, open_runtime
from consumers.envelope import Envelope
from consumers.office_read_model import OfficeReadModel
from domain.provenance import Provenance
from tests.conftest import settings_for
from tests.kafka.support import (
    all_event_ids,
    consume_until,
    make_relay,
    office_consumer,
    read_records,
)

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(120)]

NAME = "Philippa Kafkaesque-Erasable"
ADMIN = Provenance("user:admin", "admin")


@pytest.fixture
def runtime(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Runtime]:
    named = replace(TEST_CARDS["pm_card_visa"].details, cardholder_name=NAME,
                    fingerprint="fp-kafka-named")
    settings = settings_for("postgres", tmp_path, request)
    with open_runtime(settings, processor=SandboxProcessor(extra_cards={"pm_named": named}),
                      run_projector=False) as rt:
        yield rt


def test_the_name_is_never_published_and_the_office_drops_an_erased_customer(
        runtime: Runtime, kafka_bootstrap: str, topic: str, tmp_path: Path) -> None:
    me = Provenance("customer:2001", "portal")
    runtime.ledger.set_online_payments(COMPANY, True, ADMIN)
    runtime.ledger.add_card(COMPANY, "2001", "pm_named", by=me)
    runtime.ledger.add_card(COMPANY, "2001", "pm_card_mastercard", by=me)
    # Given the customer's cards relayed to Kafka and applied by the office
    relay = make_relay(runtime, kafka_bootstrap, topic)
    relay.catch_up()
    model = OfficeReadModel(tmp_path / "office.sqlite3")
    consumer = office_consumer(kafka_bootstrap, topic, model)
    consume_until(consumer, lambda: model.processed() == len(all_event_ids(runtime)))
    assert len((model.payment_methods(COMPANY, "2001") or (0, []))[1]) == 2
    # When an admin erases the customer and the relay carries on
    runtime.ledger.erase_customer(COMPANY, "2001", by=ADMIN)
    relay.catch_up()
    stored = all_event_ids(runtime)
    consume_until(consumer, lambda: model.processed() == len(stored))
    consumer.close()
    records = read_records(kafka_bootstrap, topic, len(stored))
    assert len(records) == len(stored)
    # Then no message, before or after the erasure, ever held the name
    assert not [r for r in records if NAME.encode() in r.value]
    envelopes = [Envelope.from_bytes(r.value) for r in records]
    mine = [e for e in envelopes if e.customer_id == "2001"]
    added = [e for e in mine if e.type == "Customer.CardAdded"]
    assert [e.data["cardholder_name"] for e in added] == [None, None]
    # And the erasure is published last, after each card's deletion
    assert [(e.type, e.data.get("reason")) for e in mine[-3:]] == [
        ("Customer.CardDeleted", "customer-erased"), ("Customer.CardDeleted", "customer-erased"),
        ("Customer.Erased", None)]
    # And the office holds no card of the customer any more, and shows the erasure
    assert (model.payment_methods(COMPANY, "2001") or (0, ["?"]))[1] == []
    with sqlite3.connect(tmp_path / "office.sqlite3") as office:
        kept = office.execute("SELECT count(*) FROM office_payment_methods "
                              "WHERE customer_id = '2001'").fetchone()
    assert kept == (0,)  # not even as deleted rows
    assert model.history(COMPANY, "2001")[0]["action"] == "erased"

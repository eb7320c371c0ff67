"""The office learns over Kafka when autopay leaves a card or is turned off:
the relay publishes AutopayCardChanged and AutopayDisabled, and the office
read model shows them in the customer's history."""

from __future__ import annotations

from pathlib import Path

import pytest

from cardledger.wiring import Runtime
from consumers.envelope import Envelope
from consumers.office_read_model import OfficeReadModel
from tests.autopay.support import COMPANY, CUSTOMER, customer_with
from tests.builders import OFFICE, PORTAL
from tests.kafka.support import all_event_ids, consume_until, make_relay, office_consumer, read_topic

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(120)]


def test_removing_autopays_card_and_turning_autopay_off_reach_the_office(
        runtime: Runtime, kafka_bootstrap: str, topic: str, tmp_path: Path) -> None:
    # given autopay on the newer of two cards
    _, amex = customer_with(runtime, "pm_card_visa", "pm_card_amex", autopay_card=1)
    # when the office deletes that card with force, and the customer turns autopay off
    runtime.ledger.delete_card(COMPANY, CUSTOMER, amex, by=OFFICE, force=True)
    runtime.ledger.autopay.turn_off(COMPANY, CUSTOMER, by=PORTAL)
    stored = all_event_ids(runtime)
    relay = make_relay(runtime, kafka_bootstrap, topic)
    assert relay.catch_up() == len(stored)
    relay.close()
    # then both notices are on the topic, with who did it and why
    envelopes = read_topic(kafka_bootstrap, topic, len(stored))
    notices = [(e.type, e.actor, e.source, e.data.get("reason"), e.data.get("card_id",
                                                                            e.data.get("from_card_id")))
               for e in envelopes if e.type in ("Customer.AutopayCardChanged",
                                                "Customer.AutopayDisabled")]
    assert notices == [
        ("Customer.AutopayCardChanged", "user:jdoe", "office", "card-removed", amex),
        ("Customer.AutopayDisabled", "customer:1001", "portal", "turned-off", None)]
    assert all("idempotency_key" not in e.data for e in envelopes)
    assert isinstance(envelopes[0], Envelope)
    # and the office read model shows them in the customer's history
    model = OfficeReadModel(tmp_path / "office.sqlite3")
    consumer = office_consumer(kafka_bootstrap, topic, model)
    try:
        consume_until(consumer, lambda: model.store.read(
            "SELECT COUNT(*) AS n FROM office_processed")[0]["n"] == len(stored))
    finally:
        consumer.close()
    actions = [r["action"] for r in model.store.read(
        "SELECT action FROM office_history WHERE customer_id = ? ORDER BY position",
        (CUSTOMER,))]
    assert actions[-3:] == ["deleted", "autopay_card_changed", "autopay_disabled"]
    model.store.close()

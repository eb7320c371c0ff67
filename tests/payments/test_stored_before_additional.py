"""Payments stored before PaymentStarted had ``additional`` (class_version 1)
still load, still answer their retries and still hold their invoices.

``stored_by_v1.json`` holds the stored events (and a snapshot) exactly as
cardledger wrote them at commit 85cb40a: a customer with a Visa, invoice INV-7
paid under key ``key-paid``, and INV-8 started under ``key-started`` by a
process that died before the charge. Given those rows in a fresh store, when
the same requests are retried, then their request hashes still match.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.wiring import Runtime
from consumers.envelope import envelope_of
from domain.customer import Customer
from domain.errors import InvoiceAlreadyPaid
from domain.provenance import Provenance
from tests.conftest import Clock
from tests.contracts import contract_errors
from tests.payments.faults import CountingCharges

ME = Provenance("customer:1001", "portal")
STORED = json.loads((Path(__file__).parent / "stored_by_v1.json").read_text())
VISA = json.loads(STORED["customer"][1]["state"])["card_id"]
PAID = {"invoice_id": "INV-7", "amount": 1250, "currency": "usd", "card_id": None}
STARTED = {"invoice_id": "INV-8", "amount": 990, "currency": "eur", "card_id": VISA}


def rows(name: str) -> list[StoredEvent]:
    return [StoredEvent(originator_id=UUID(row["originator_id"]),
                        originator_version=row["originator_version"], topic=row["topic"],
                        state=row["state"].encode()) for row in STORED[name]]


@pytest.fixture(params=["events", "snapshot"])
def stored(request: pytest.FixtureRequest, runtime: Runtime) -> Runtime:
    """Given the v1 rows in the store (and, for 'snapshot', the v1 snapshot too)."""
    runtime.ledger.recorder.insert_events(rows("company") + rows("customer"))
    if request.param == "snapshot":
        assert runtime.ledger.snapshots is not None
        runtime.ledger.snapshots.recorder.insert_events(rows("snapshot"))
    return runtime


def pay(runtime: Runtime, key: str, request: dict[str, Any]) -> Any:
    return runtime.ledger.pay_invoice("acme", "1001", by=ME, idempotency_key=key, **request)


def stored_hash(key: str) -> str:
    return next(json.loads(row["state"])["request_hash"] for row in STORED["customer"]
                if json.loads(row["state"])["idempotency_key"] == key)


def test_a_v1_payment_started_event_loads_as_not_additional(stored: Runtime) -> None:
    events = stored.ledger.customer_events("acme", "1001")
    started = [e for e in events if type(e).__name__ == "PaymentStarted"]
    assert [e.additional for e in started] == [False, False]
    assert [p.additional for p in stored.ledger.payments("acme", "1001")] == [False, False]


def test_a_retry_of_a_payment_stored_by_v1_answers_it_and_appends_nothing(
        stored: Runtime) -> None:
    counting = stored.ledger.processor = CountingCharges(SandboxProcessor())
    before = stored.ledger.get_customer("acme", "1001").version
    outcome = pay(stored, "key-paid", PAID)
    assert (outcome.replayed, outcome.payment.status, outcome.payment.invoice_id) == (
        True, "succeeded", "INV-7")
    assert stored.ledger.get_customer("acme", "1001").version == before
    assert counting.asked == 0


def test_an_attempt_stored_by_v1_is_settled_by_its_retry_under_the_same_hash(
        stored: Runtime, clock: Clock) -> None:
    counting = stored.ledger.processor = CountingCharges(SandboxProcessor())
    clock.now += timedelta(seconds=61)  # past the first attempt's in-flight window
    outcome = pay(stored, "key-started", STARTED)
    assert (outcome.replayed, outcome.payment.status) == (True, "succeeded")
    finished = stored.ledger.customer_events("acme", "1001")[-1]
    assert type(finished).__name__ == "PaymentSucceeded"
    assert finished.request_hash == stored_hash("key-started")
    assert counting.asked == 1


def test_a_payment_stored_by_v1_still_holds_its_invoice_against_a_new_key(
        stored: Runtime) -> None:
    with pytest.raises(InvoiceAlreadyPaid):
        pay(stored, "key-new", PAID)


def test_a_v1_payment_started_is_published_in_its_current_shape(stored: Runtime) -> None:
    # given the v1 rows; when the relay would publish them (consumers/envelope.py)
    head = stored.ledger.recorder.max_notification_id() or 0
    envelopes = [envelope_of(stored.ledger.mapper.to_domain_event(n), n.topic, n.id)
                 for n in stored.ledger.recorder.select_notifications(start=0, limit=head)]
    # then they are upcast first, through every version (v2 added `additional`, v3
    # the card's selection): not additional, and they meet the current schema
    current = Customer.PaymentStarted.class_version
    assert current >= 3
    started = [e for e in envelopes if e.type == "Customer.PaymentStarted"]
    assert [(e.schema_version, e.data["additional"]) for e in started] == [(current, False)] * 2
    assert [error for e in envelopes for error in contract_errors(e)] == []

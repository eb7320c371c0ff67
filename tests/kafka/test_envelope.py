"""The public envelope: stable ids, a faithful round trip, and a clear refusal
of anything that is not an envelope this code understands."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import pytest

from cardledger.demo import COMPANY
from cardledger.wiring import Runtime
from consumers.envelope import BadEnvelope, Envelope, envelope_of, event_id
from tests.kafka.support import seed_story


def stored_envelopes(runtime: Runtime) -> list[Envelope]:
    head = runtime.ledger.recorder.max_notification_id() or 0
    return [envelope_of(runtime.ledger.mapper.to_domain_event(n), n.topic, n.id)
            for n in runtime.ledger.recorder.select_notifications(start=0, limit=head)]


def test_an_event_gets_the_same_id_every_time_it_is_published(runtime: Runtime) -> None:
    # given the seed's story
    seed_story(runtime, 1)
    # when its events are turned into envelopes twice
    first, second = stored_envelopes(runtime), stored_envelopes(runtime)
    # then the ids are the same, distinct per event, and derived from aggregate and version
    assert [e.event_id for e in first] == [e.event_id for e in second]
    assert len({e.event_id for e in first}) == len(first)
    assert all(e.event_id == event_id(e.aggregate_id, e.aggregate_version) for e in first)


def test_an_envelope_survives_the_trip_through_bytes(runtime: Runtime) -> None:
    # given the envelopes of the seed's story
    (customer,) = seed_story(runtime, 1)
    envelopes = stored_envelopes(runtime)
    # when they are encoded and decoded
    decoded = [Envelope.from_bytes(e.to_bytes()) for e in envelopes]
    # then nothing changed, and company events carry no customer
    assert decoded == envelopes
    assert [e.customer_id for e in decoded if e.type.startswith("Company.")] == [None, None]
    assert {e.customer_id for e in decoded if e.type.startswith("Customer.")} == {customer}
    assert {e.company_id for e in decoded} == {COMPANY}


@pytest.mark.parametrize(("raw", "reason"), [
    (b"\xff\xfe", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (json.dumps({"envelope_version": 1}).encode(), "missing event_id"),
    (None, "not JSON"),
])
def test_bytes_that_are_not_an_envelope_are_refused_with_the_reason(
        raw: bytes | None, reason: str) -> None:
    with pytest.raises(BadEnvelope, match=reason):
        Envelope.from_bytes(raw)


def test_an_envelope_of_an_unknown_version_is_refused(runtime: Runtime) -> None:
    # given a valid envelope claiming a future envelope version
    seed_story(runtime, 1)
    fields = json.loads(stored_envelopes(runtime)[0].to_bytes())
    fields["envelope_version"] = 2
    # when a consumer decodes it, then it refuses to guess
    with pytest.raises(BadEnvelope, match="unsupported envelope_version 2"):
        Envelope.from_bytes(json.dumps(fields).encode())


AT = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
AGGREGATE = UUID("5c4717e7-7b54-5d97-92cd-87dbe0a0b451")


def test_an_event_class_without_a_class_version_is_published_as_schema_version_1() -> None:
    # given an event whose class never declared a class_version (the store reads it as 1)
    event = SimpleNamespace(originator_id=AGGREGATE, originator_version=4, timestamp=AT,
                            company_id="acme", customer_id="1001", actor="customer:1001",
                            source="portal")
    # when it is put in an envelope, then the envelope says version 1
    envelope = envelope_of(event, "cardledger/Customer.SomethingNew", 7)
    assert (envelope.schema_version, envelope.type, envelope.data) == (1, "Customer.SomethingNew", {})


def card_added_envelope(data: dict[str, Any]) -> Envelope:
    return Envelope(envelope_version=1, event_id="evt_x", type="Customer.CardAdded",
                    topic="cardledger/Customer.CardAdded", schema_version=2,
                    company_id="acme", customer_id="1001", aggregate_id=str(AGGREGATE),
                    aggregate_version=2, position=7, occurred_at=AT.isoformat(),
                    actor="customer:1001", source="portal", data=data)


def test_an_instant_a_uuid_or_a_decimal_in_the_data_goes_out_as_text() -> None:
    # given an envelope whose data holds values JSON has no form for
    envelope = card_added_envelope({"at": AT, "id": AGGREGATE, "amount": Decimal("12.50")})
    # when it is encoded, then each is text
    assert json.loads(envelope.to_bytes())["data"] == {
        "at": "2026-11-25T09:30:00.000000+00:00",
        "id": "5c4717e7-7b54-5d97-92cd-87dbe0a0b451", "amount": "12.50"}
    # and a value of any other type stops the encoding, naming the type
    with pytest.raises(TypeError, match="bytes has no JSON form"):
        Envelope(**{**vars(envelope), "data": {"raw": b"\x00"}}).to_bytes()


def test_an_envelope_goes_out_with_its_keys_sorted_as_documented() -> None:
    # given an envelope whose data came in the event's own field order
    envelope = card_added_envelope({"last4": "4242", "brand": "visa", "card_id": "card_a"})
    # when it is encoded, then its keys and its data's keys are in sorted order
    # (docs/events.md shows the envelope "keys sorted, as sent")
    sent = json.loads(envelope.to_bytes())
    assert list(sent) == sorted(sent)
    assert list(sent["data"]) == ["brand", "card_id", "last4"]

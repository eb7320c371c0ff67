"""The public envelope: stable ids, a faithful round trip, and a clear refusal
of anything that is not an envelope this code understands."""

from __future__ import annotations

import json

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

"""The event contract: an allow-list of published fields per event type, a
JSON Schema per message type (contracts/events/), an AsyncAPI document, and a
compatibility check against the published copy (contracts/published/)."""

from __future__ import annotations

import copy
import json
import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cardledger.autopay_jobs import make_due_retries
from cardledger.checkpoints import make_checkpoints
from cardledger.wiring import Runtime
from consumers.envelope import PUBLISHED, envelope_of
from domain.checkpoints import CheckpointKey
from scripts import generate_contracts
from scripts.contract_compat import breaking_changes, breaking_changes_between
from tests.autopay.support import COMPANY, CUSTOMER, charge, customer_with
from tests.builders import OFFICE
from tests.conftest import Clock
from tests.contracts import EVENTS, contract_errors
from tests.kafka.support import seed_story
from tests.kafka.test_envelope import stored_envelopes

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED_COPY = ROOT / "contracts" / "published" / "events"


def test_every_stored_event_type_has_an_allow_list_and_a_schema() -> None:
    types = generate_contracts.event_classes().keys()
    assert types == PUBLISHED.keys()
    assert {p.name for p in EVENTS.glob("*.schema.json")} == {
        f"{t}.schema.json" for t in types}


def test_the_contract_files_are_generated_from_the_current_code() -> None:
    assert generate_contracts.stale() == []


def test_a_field_added_to_an_event_is_not_published_until_it_is_allowed(
        runtime: Runtime) -> None:
    # given a CardAdded as stored, carrying a new internal field
    seed_story(runtime, 1)
    head = runtime.ledger.recorder.max_notification_id() or 0
    notification = next(n for n in runtime.ledger.recorder.select_notifications(0, head)
                        if n.topic.endswith("CardAdded"))
    event = runtime.ledger.mapper.to_domain_event(notification)
    object.__setattr__(event, "risk_score", 42)
    # when it is published
    envelope = envelope_of(event, notification.topic, notification.id)
    # then neither the new field nor the processor's handles are in it
    assert set(envelope.data) == set(PUBLISHED["Customer.CardAdded"])
    assert not {"risk_score", "processor_token", "fingerprint", "idempotency_key",
                "request_hash"} & set(envelope.data)
    assert contract_errors(envelope) == []


def test_every_envelope_of_the_seed_story_meets_its_schema(runtime: Runtime) -> None:
    seed_story(runtime, 2)
    envelopes = stored_envelopes(runtime)
    assert {e.type for e in envelopes} >= {"Customer.CardAdded", "Customer.PrimaryChanged",
                                          "Customer.CardDeleted", "Company.OnlinePaymentsEnabled"}
    assert [error for e in envelopes for error in contract_errors(e)] == []


def test_an_envelope_that_breaks_its_schema_is_caught(runtime: Runtime) -> None:
    seed_story(runtime, 1)
    added = next(e for e in stored_envelopes(runtime) if e.type == "Customer.CardAdded")
    assert contract_errors(replace(added, data={**added.data, "processor_token": "pm_x"}))
    assert contract_errors(replace(added, data={**added.data, "exp_month": "12"}))
    assert contract_errors(replace(added, event_id="evt_short"))


def test_the_current_schemas_are_compatible_with_the_published_ones() -> None:
    assert breaking_changes_between(PUBLISHED_COPY, EVENTS) == []


def schema(name: str = "Customer.CardAdded") -> dict[str, Any]:
    return json.loads((PUBLISHED_COPY / f"{name}.schema.json").read_text())


def test_adding_an_optional_field_is_compatible() -> None:
    new = copy.deepcopy(schema())
    new["properties"]["data"]["properties"]["wallet"] = {"type": ["string", "null"]}
    assert breaking_changes(schema(), new) == []


@pytest.mark.parametrize("change", ["remove", "retype", "nullable", "unrequire", "rename"])
def test_a_breaking_change_to_a_published_field_is_refused(change: str) -> None:
    new = copy.deepcopy(schema())
    data = new["properties"]["data"]
    if change == "remove":
        del data["properties"]["last4"]
    elif change == "retype":
        data["properties"]["exp_month"]["type"] = "string"
    elif change == "nullable":
        data["properties"]["brand"]["type"] = ["string", "null"]
    elif change == "unrequire":
        data["required"].remove("card_id")
    elif change == "rename":
        new["properties"]["occurred"] = new["properties"].pop("occurred_at")
    assert breaking_changes(schema(), new)


def test_removing_a_published_message_type_is_refused(tmp_path: Path) -> None:
    current = tmp_path / "events"
    shutil.copytree(EVENTS, current)
    (current / "Customer.CardDeleted.schema.json").unlink()
    assert breaking_changes_between(PUBLISHED_COPY, current) == [
        "Customer.CardDeleted.schema.json: message type removed"]


def test_the_asyncapi_document_describes_the_topic_keys_and_dead_letters() -> None:
    document = json.loads((ROOT / "contracts" / "asyncapi.json").read_text())
    assert document["asyncapi"].startswith("3.")
    channels = document["channels"]
    assert channels["paymentMethods"]["address"] == "cardledger.payment-methods.v1"
    assert channels["deadLetter"]["address"] == "cardledger.payment-methods.v1.dead-letter"
    assert set(channels["paymentMethods"]["messages"]) == {
        t.replace(".", "") for t in PUBLISHED}
    description = document["info"]["description"]
    for promise in ("At least once", "event_id", "Key = the aggregate id", "No order across keys",
                    "Online Payments switch", "Dead letters"):
        assert promise in description


def test_a_grown_schema_version_is_compatible_but_a_shrunk_or_retyped_one_is_not() -> None:
    grown = copy.deepcopy(schema())
    grown["properties"]["schema_version"]["const"] += 1
    assert breaking_changes(schema(), grown) == []
    for version in (schema()["properties"]["schema_version"]["const"] - 1, "2"):
        changed = copy.deepcopy(schema())
        changed["properties"]["schema_version"]["const"] = version
        assert breaking_changes(schema(), changed), version


def test_autopay_and_checkpoint_envelopes_meet_their_schemas(
        runtime: Runtime, clock: Clock) -> None:
    # given an autopay customer whose charge is declined, retried by the
    # scheduler, the card removed by force, and a signed checkpoint
    cards = customer_with(runtime, "pm_card_chargeDeclinedInsufficientFunds", "pm_card_visa",
                          autopay_card=0, fallback=False, schedule=(1,))
    charge(runtime)
    clock.now += timedelta(days=1, seconds=1)
    make_due_retries(runtime)
    runtime.ledger.delete_card(COMPANY, CUSTOMER, cards[0], by=OFFICE, force=True)
    make_checkpoints(runtime.ledger, CheckpointKey("k1", b"a test secret"))
    # when every stored event is enveloped
    envelopes = stored_envelopes(runtime)
    # then the new types are there and each meets its type's schema
    assert {e.type for e in envelopes} >= {
        "Company.AutopaySettingsChanged", "Customer.AutopayEnabled",
        "Customer.AutopayChargeStarted", "Customer.AutopayAttemptStarted",
        "Customer.AutopayAttemptFinished", "Customer.AutopayChargeSettled",
        "Customer.AutopayRetryStarted", "Customer.AutopayCardChanged", "Checkpoints.Signed"}
    assert "scheduler" in {e.source for e in envelopes}
    assert [error for e in envelopes for error in contract_errors(e)] == []

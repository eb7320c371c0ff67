"""Reading Stripe's webhook events: only signed, fresh events about cards count."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from cardledger.processors.stripe_webhooks import BadSignature, CardUpdate, read_card_update
from tests.stripe_server import card_event, stripe_signature

SECRET = "whsec_test_cardledger"


def read(payload: bytes, signature: str | None) -> CardUpdate | None:
    return read_card_update(payload, signature, SECRET, tolerance=300)


def test_a_signed_account_updater_event_reads_as_a_card_update() -> None:
    created = int(time.time()) - 5
    body = card_event("evt_1", "cus_1", "pm_1", exp=(4, 2031), last4="1881", created=created)
    assert read(body, stripe_signature(body, SECRET)) == CardUpdate(
        event_id="evt_1", customer_ref="cus_1", token="pm_1", last4="1881",
        exp_month=4, exp_year=2031, reason="account-updater",
        occurred_at=datetime.fromtimestamp(created, tz=UTC))


def test_a_plain_payment_method_update_reads_as_a_processor_update() -> None:
    body = card_event("evt_1", "cus_1", "pm_1", exp=(4, 2031), kind="payment_method.updated")
    update = read(body, stripe_signature(body, SECRET))
    assert update is not None and update.reason == "processor-update"


def test_an_event_about_something_else_is_acknowledged_and_ignored() -> None:
    body = card_event("evt_1", "cus_1", "pm_1", exp=(4, 2031), kind="customer.created")
    assert read(body, stripe_signature(body, SECRET)) is None


@pytest.mark.parametrize("signature", [
    None,
    "",
    "t=1,v1=deadbeef",
    stripe_signature(b"{}", SECRET),  # signed, but for another body
])
def test_an_event_without_a_matching_signature_is_refused(signature: str | None) -> None:
    body = card_event("evt_1", "cus_1", "pm_1", exp=(4, 2031))
    with pytest.raises(BadSignature):
        read(body, signature)


def test_an_event_signed_with_another_secret_is_refused() -> None:
    body = card_event("evt_1", "cus_1", "pm_1", exp=(4, 2031))
    with pytest.raises(BadSignature):
        read(body, stripe_signature(body, "whsec_someone_else"))


def test_a_replayed_old_event_is_refused_after_the_tolerance() -> None:
    body = card_event("evt_1", "cus_1", "pm_1", exp=(4, 2031))
    with pytest.raises(BadSignature):
        read(body, stripe_signature(body, SECRET, at=int(time.time()) - 301))


def test_a_signed_body_that_is_not_json_is_refused() -> None:
    with pytest.raises(BadSignature):
        read(b"not json", stripe_signature(b"not json", SECRET))

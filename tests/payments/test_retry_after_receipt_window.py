"""A payment outlives its idempotency receipt: a retry after the receipt
window still answers the payment its key started, and never charges again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.wiring import Runtime
from domain.customer import RECEIPT_WINDOW
from domain.errors import IdempotencyKeyReused
from tests.conftest import Clock
from tests.payments.test_paying import ME, cards, pay, sandbox  # noqa: F401 (fixtures)


@pytest.fixture
def events_at(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Events are stamped by the test's clock, so a day can pass in a test."""
    monkeypatch.setattr("eventsourcing.domain.datetime_now_with_tzinfo", clock)
    return clock


def a_day_passes_with_another_command(runtime: Runtime, clock: Clock) -> None:
    clock.now += RECEIPT_WINDOW + timedelta(hours=1)
    pay(runtime, key="later-key", invoice_id="INV-8")


def test_a_retry_after_the_window_answers_the_first_payment_without_a_charge(
        runtime: Runtime, cards: dict[str, str], sandbox: SandboxProcessor,
        events_at: Clock) -> None:
    # Given a paid invoice, and a day later another payment (the receipt is gone)
    first = pay(runtime, key="key-1")
    a_day_passes_with_another_command(runtime, events_at)
    assert runtime.ledger.get_customer("acme", "1001").recall("key-1", "anything") is None
    charges = len(sandbox.attempts)
    # When the first request is retried with its key
    retried = pay(runtime, key="key-1")
    # Then it answers the first payment, and nothing is charged
    assert retried.replayed and retried.payment.payment_id == first.payment.payment_id
    assert len(sandbox.attempts) == charges


def test_the_key_of_an_old_payment_with_another_request_is_refused(
        runtime: Runtime, cards: dict[str, str], events_at: Clock) -> None:
    pay(runtime, key="key-1")
    a_day_passes_with_another_command(runtime, events_at)
    with pytest.raises(IdempotencyKeyReused):
        pay(runtime, key="key-1", amount=99_00)

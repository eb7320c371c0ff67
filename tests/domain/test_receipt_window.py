"""A customer's memory is bounded: idempotency receipts for 24 hours (and at
most 1,000), deleted card ids for the newest 100, so its state and snapshot
stay small however long its history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from domain.customer import Customer
from domain.errors import CardAlreadyDeleted, NoSuchCard
from tests.domain.scenario import CUSTOMER, added, deleted, given

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime]]:
    """The instant events are stamped with; tests move it."""
    now = [START]
    monkeypatch.setattr("eventsourcing.domain.datetime_now_with_tzinfo", lambda: now[0])
    yield now


def keyed_primary(card_id: str, key: str):  # type: ignore[no-untyped-def]
    return lambda customer: customer.set_primary(
        card_id, today=START.date(), by=CUSTOMER, idempotency_key=key, request_hash="h-" + key)


def test_a_receipt_is_kept_within_the_window(clock: list[datetime]) -> None:
    # Given a keyed command, and another 23 hours later
    customer = given(added("card_a"), added("card_b", "pm_card_mastercard"), keyed_primary("card_b", "k1"))
    clock[0] = START + timedelta(hours=23)
    customer.set_primary("card_a", today=START.date(), by=CUSTOMER, idempotency_key="k2",
                         request_hash="h-k2")
    # Then the first key is still recognised
    assert customer.recall("k1", "h-k1") is not None


def test_a_receipt_older_than_the_window_is_forgotten(clock: list[datetime]) -> None:
    # Given a keyed command, and another 25 hours later
    customer = given(added("card_a"), added("card_b", "pm_card_mastercard"), keyed_primary("card_b", "k1"))
    clock[0] = START + timedelta(hours=25)
    customer.set_primary("card_a", today=START.date(), by=CUSTOMER, idempotency_key="k2",
                         request_hash="h-k2")
    # Then the first key is forgotten, the second kept
    assert customer.recall("k1", "h-k1") is None
    assert customer.recall("k2", "h-k2") is not None


def test_receipts_beyond_the_count_go_oldest_first(clock: list[datetime]) -> None:
    # Given more keyed commands within the window than receipts are kept
    customer = given(added("card_a"), added("card_b", "pm_card_mastercard"))
    for n in range(1_000 + 5):
        customer.set_primary("card_b" if n % 2 == 0 else "card_a", today=START.date(),
                             by=CUSTOMER, idempotency_key=f"k{n}", request_hash=f"h{n}")
    # Then the oldest five are gone and the newest are kept
    assert len(customer.idempotency) == 1_000
    assert customer.recall("k4", "h4") is None
    assert customer.recall("k5", "h5") is not None


def test_receipts_written_without_an_instant_go_after_a_dated_one_expires(
        clock: list[datetime]) -> None:
    # Given receipts as code before the window wrote them (no instant), then a dated one
    customer = given(added("card_a"), added("card_b", "pm_card_mastercard"))
    customer.idempotency["legacy"] = ["h-legacy", "card_b", 2]
    customer.set_primary("card_b", today=START.date(), by=CUSTOMER, idempotency_key="k1",
                         request_hash="h-k1")
    # When a command comes 1 hour later, the undated receipt stays (it may be recent)
    clock[0] = START + timedelta(hours=1)
    customer.set_primary("card_a", today=START.date(), by=CUSTOMER, idempotency_key="k2",
                         request_hash="h-k2")
    assert customer.recall("legacy", "h-legacy") is not None
    # When one comes 25 hours later, the dated receipt after it expired, so it goes too
    clock[0] = START + timedelta(hours=25)
    customer.set_primary("card_b", today=START.date(), by=CUSTOMER, idempotency_key="k3",
                         request_hash="h-k3")
    assert customer.recall("legacy", "h-legacy") is None
    assert customer.recall("k1", "h-k1") is None


def test_a_recently_deleted_card_is_already_deleted_and_a_long_gone_one_unknown() -> None:
    # Given more deletions than deleted ids are kept (the newest 100)
    steps = []
    for n in range(100 + 1):
        steps += [added(f"card_{n}"), deleted(f"card_{n}")]
    customer: Customer = given(*steps, added("card_last"))
    # Then the newest deletion is told apart, the oldest is simply unknown
    with pytest.raises(CardAlreadyDeleted):
        customer.active_card("card_100")
    with pytest.raises(NoSuchCard) as unknown:
        customer.active_card("card_0")
    assert not isinstance(unknown.value, CardAlreadyDeleted)

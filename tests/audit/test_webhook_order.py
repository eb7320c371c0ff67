"""Webhook order: the processor's changes carry their own instant, and one
older than the card's last change is recorded as ignored, never applied."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.customer import Customer
from domain.provenance import Provenance
from tests.domain.scenario import added, given, when

PROCESSOR = Provenance("system:processor", "processor")
T = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def updated(card_id: str, exp: tuple[int, int], at: datetime | None):
    def step(customer: Customer) -> None:
        customer.update_card(card_id, last4="4242", exp_month=exp[0], exp_year=exp[1],
                             reason="account-updater", by=PROCESSOR, processor_changed_at=at)
    return step


def test_a_newer_change_is_applied_with_its_instant() -> None:
    customer = given(added("c1", "pm_card_visa"))
    (event,) = when(customer, updated("c1", (5, 2037), T))
    assert isinstance(event, Customer.CardUpdated)
    assert event.processor_changed_at == T.isoformat()


def test_an_older_change_is_recorded_as_ignored_and_not_applied() -> None:
    customer = given(added("c1", "pm_card_visa"), updated("c1", (5, 2037), T))
    (event,) = when(customer, updated("c1", (3, 2036), T - timedelta(minutes=1)))
    assert isinstance(event, Customer.CardUpdateIgnored)
    assert (event.exp_month, event.card_changed_at) == (3, T.isoformat())
    assert (customer.cards["c1"].exp_month, customer.cards["c1"].exp_year) == (5, 2037)


def test_a_later_change_still_applies_after_an_ignored_one() -> None:
    customer = given(added("c1", "pm_card_visa"), updated("c1", (5, 2037), T),
                     updated("c1", (3, 2036), T - timedelta(minutes=1)))
    (event,) = when(customer, updated("c1", (7, 2038), T + timedelta(minutes=1)))
    assert isinstance(event, Customer.CardUpdated)
    assert customer.cards["c1"].exp_year == 2038


def test_a_change_without_an_instant_applies_as_before() -> None:
    """Callers that do not know when the processor changed the card (none
    today but tests) are not ordered: the change applies."""
    customer = given(added("c1", "pm_card_visa"), updated("c1", (5, 2037), T))
    (event,) = when(customer, updated("c1", (3, 2036), None))
    assert isinstance(event, Customer.CardUpdated)


def test_an_ignored_change_says_the_card_did_not_change() -> None:
    customer = given(added("c1", "pm_card_visa"), updated("c1", (5, 2037), T))
    changed = customer.update_card("c1", last4="4242", exp_month=3, exp_year=2036,
                                   reason="account-updater", by=PROCESSOR,
                                   processor_changed_at=T - timedelta(minutes=1))
    assert changed is False
    assert [type(e).__name__ for e in customer.collect_events()] == ["CardUpdateIgnored"]

"""Autopay rules of the Customer aggregate: given past events -> when a
command -> then new events or an error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from domain import autopay
from domain.autopay import autopay_of
from domain.customer import Customer
from domain.errors import (
    CardExpired,
    CardInUseByAutopay,
    ConsentRequired,
    InvalidCommand,
    NoPrimaryCard,
    NoSuchCard,
    OnlinePaymentsDisabled,
)
from domain.processor import CardDetails
from tests.domain.scenario import CUSTOMER, OFFICE, TODAY, added, given, kinds, when

EXPIRED_LAST_MONTH = CardDetails("visa", "1111", 10, 2026, "fp-last-month")
EXPIRED_LAST_MONTH_ADDED = TODAY.replace(month=10)


def enrolled(card_id: str | None = None, *, text: str | None = "v3", channel: str | None = "portal",
             online: bool = True, consent_id: str = "cns_a") -> Callable[[Customer], Any]:
    return lambda c: autopay.enrol(c, card_id=card_id, text_version=text, channel=channel,
                                   consent_id=consent_id, online_payments=online, today=TODAY,
                                   by=CUSTOMER)


def turned_off(c: Customer) -> Any:
    return autopay.turn_off(c, by=OFFICE)


def deleted(card_id: str, *, force: bool = False) -> Callable[[Customer], Any]:
    return lambda c: c.delete_card(card_id, today=TODAY, by=OFFICE, force=force)


def test_enrolling_records_the_consent_who_and_from_where() -> None:
    customer = given(added("c1"))
    events = when(customer, enrolled())
    assert kinds(events) == ["AutopayEnabled"]
    e = events[0]
    assert (e.card_id, e.consent_id, e.text_version, e.channel) == (None, "cns_a", "v3", "portal")
    state = autopay_of(customer)
    assert state.enabled and state.card_id is None
    assert state.consent is not None
    assert (state.consent.accepted_by, state.consent.accepted_from) == ("customer:1001", "portal")
    assert state.consent.accepted_at == e.timestamp.isoformat()


def test_enrolling_without_consent_is_refused() -> None:
    with pytest.raises(ConsentRequired):
        when(given(added("c1")), enrolled(text=None, channel=None))


def test_a_consent_through_an_unknown_channel_is_refused() -> None:
    with pytest.raises(InvalidCommand):
        when(given(added("c1")), enrolled(channel="email"))


def test_enrolling_while_online_payments_are_off_is_refused() -> None:
    with pytest.raises(OnlinePaymentsDisabled):
        when(given(added("c1")), enrolled(online=False))


def test_a_named_card_must_be_saved_and_unexpired() -> None:
    with pytest.raises(NoSuchCard):
        when(given(added("c1")), enrolled("card_nope"))
    customer = given(added("c1"), added("old", card=EXPIRED_LAST_MONTH,
                                        today=EXPIRED_LAST_MONTH_ADDED))
    with pytest.raises(CardExpired):
        when(customer, enrolled("old"))




def test_following_the_primary_needs_a_primary_card() -> None:
    with pytest.raises(NoPrimaryCard):
        when(given(), enrolled())


def test_enrolling_again_with_the_same_card_and_consent_changes_nothing() -> None:
    customer = given(added("c1"), enrolled())
    assert when(customer, enrolled(consent_id="cns_b")) == []


def test_enrolling_again_with_another_card_records_a_new_consent() -> None:
    customer = given(added("c1"), added("c2", "pm_card_amex"), enrolled())
    events = when(customer, enrolled("c2", consent_id="cns_b"))
    assert kinds(events) == ["AutopayEnabled"]
    assert autopay_of(customer).card_id == "c2"
    assert autopay_of(customer).consent.consent_id == "cns_b"  # type: ignore[union-attr]


def test_turning_off_records_who_and_turning_off_again_changes_nothing() -> None:
    customer = given(added("c1"), enrolled())
    events = when(customer, turned_off)
    assert kinds(events) == ["AutopayDisabled"]
    assert (events[0].reason, events[0].actor, events[0].source) == ("turned-off", "user:jdoe",
                                                                     "office")
    assert not autopay_of(customer).enabled
    assert when(customer, turned_off) == []


def test_following_the_primary_charges_the_new_primary_after_a_change() -> None:
    customer = given(added("c1"), added("c2", "pm_card_amex"), enrolled())
    customer.set_primary("c2", today=TODAY, by=CUSTOMER)
    assert autopay_of(customer).card_to_charge(customer, TODAY).card_id == "c2"  # type: ignore[union-attr]


def test_the_card_autopay_names_cannot_be_deleted_without_force() -> None:
    customer = given(added("c1"), added("c2", "pm_card_amex"), enrolled("c2"))
    with pytest.raises(CardInUseByAutopay):
        when(customer, deleted("c2"))
    assert customer.collect_events() == []


def test_a_forced_deletion_of_autopays_card_makes_autopay_follow_the_primary() -> None:
    customer = given(added("c1"), added("c2", "pm_card_amex"), enrolled("c2"))
    events = when(customer, deleted("c2", force=True))
    assert kinds(events) == ["CardDeleted", "AutopayCardChanged"]
    assert (events[1].from_card_id, events[1].to_card_id, events[1].reason) == (
        "c2", None, "card-removed")
    assert autopay_of(customer).enabled and autopay_of(customer).card_id is None


def test_another_card_can_be_deleted_while_autopay_follows_the_primary() -> None:
    customer = given(added("c1"), added("c2", "pm_card_amex"), enrolled())
    assert kinds(when(customer, deleted("c1"))) == ["CardDeleted", "PrimaryChanged"]
    assert autopay_of(customer).card_to_charge(customer, TODAY).card_id == "c2"  # type: ignore[union-attr]


def test_the_last_card_cannot_be_deleted_while_autopay_is_on_without_force() -> None:
    customer = given(added("c1"), enrolled())
    with pytest.raises(CardInUseByAutopay):
        when(customer, deleted("c1"))


def test_a_forced_deletion_of_the_last_card_turns_autopay_off() -> None:
    customer = given(added("c1"), enrolled("c1"))
    events = when(customer, deleted("c1", force=True))
    assert kinds(events) == ["CardDeleted", "AutopayDisabled"]
    assert (events[1].card_id, events[1].reason) == ("c1", "no-card-left")
    assert not autopay_of(customer).enabled


def test_with_autopay_off_any_card_is_deleted_as_before() -> None:
    customer = given(added("c1"), enrolled(), turned_off)
    assert kinds(when(customer, deleted("c1"))) == ["CardDeleted"]


def test_autopay_settings_refuse_a_schedule_that_is_not_increasing_days() -> None:
    assert autopay.check_settings(True, [1, 3, 7]).retry_schedule_days == (1, 3, 7)
    assert autopay.check_settings(False, []).retry_schedule_days == ()
    for bad in ([3, 1], [0], [61], [1, 1], "1,3", [True], list(range(1, 12))):
        with pytest.raises(InvalidCommand):
            autopay.check_settings(True, bad)
    with pytest.raises(InvalidCommand):
        autopay.check_settings("yes", [1])

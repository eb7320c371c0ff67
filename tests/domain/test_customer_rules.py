"""Every Customer rule, as given past events -> when a command -> then new events or an error."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date

import pytest

from domain import autopay
from domain.errors import (
    AlreadyPrimary,
    CardAlreadyDeleted,
    CardAlreadySaved,
    CardExpired,
    CardInUseByAutopay,
    IdempotencyKeyReused,
    NoSuchCard,
    OnlinePaymentsDisabled,
    TooManyCards,
)
from domain.processor import CardDetails
from tests.builders import PROMOTION_DAY, four_cards_newest_expiring
from tests.domain.scenario import (
    CUSTOMER,
    OFFICE,
    TODAY,
    added,
    deleted,
    details,
    given,
    kinds,
    made_primary,
    when,
)

EXPIRED = CardDetails("visa", "0010", 1, 2020, "fp-expired")


def test_the_first_card_added_becomes_primary() -> None:
    customer = given()
    events = when(customer, added("c1"))
    assert kinds(events) == ["CardAdded", "PrimaryChanged"]
    assert (events[1].from_card_id, events[1].to_card_id, events[1].reason) == (None, "c1", "first-card")
    assert customer.primary_card_id == "c1"


def test_a_second_card_is_added_without_changing_the_primary() -> None:
    customer = given(added("c1"))
    events = when(customer, added("c2", "pm_card_mastercard"))
    assert kinds(events) == ["CardAdded"]
    assert customer.primary_card_id == "c1"


def test_adding_with_make_primary_makes_the_new_card_primary() -> None:
    customer = given(added("c1"))
    events = when(customer, added("c2", "pm_card_mastercard", make_primary=True))
    assert kinds(events) == ["CardAdded", "PrimaryChanged"]
    assert (events[1].from_card_id, events[1].to_card_id, events[1].reason) == ("c1", "c2", "added-as-primary")


def test_card_added_records_the_processors_facts_and_who_did_it() -> None:
    customer = given()
    event = when(customer, added("c1", "pm_card_amex", by=OFFICE))[0]
    card = details("pm_card_amex")
    assert (event.brand, event.last4, event.exp_month, event.exp_year, event.fingerprint) == (
        card.brand, card.last4, card.exp_month, card.exp_year, card.fingerprint)
    assert (event.processor_token, event.actor, event.source) == ("pm_card_amex", "user:jdoe", "office")
    assert (event.company_id, event.customer_id) == ("acme", "1001")


def test_no_card_can_be_added_while_online_payments_are_off() -> None:
    customer = given()
    with pytest.raises(OnlinePaymentsDisabled):
        when(customer, added("c1", online=False))
    assert customer.collect_events() == []


def test_an_expired_card_cannot_be_added() -> None:
    with pytest.raises(CardExpired):
        when(given(), added("c1", card=EXPIRED))


def test_a_card_expiring_this_month_can_still_be_added() -> None:
    this_month = CardDetails("visa", "1111", 11, 2026, "fp-this-month")
    assert kinds(when(given(), added("c1", card=this_month))) == ["CardAdded", "PrimaryChanged"]


def test_the_same_card_cannot_be_saved_twice() -> None:
    customer = given(added("c1", "pm_card_visa"))
    with pytest.raises(CardAlreadySaved):
        when(customer, added("c2", "pm_card_visa"))


def test_a_deleted_card_can_be_saved_again() -> None:
    customer = given(added("c1", "pm_card_visa"), deleted("c1"))
    assert kinds(when(customer, added("c2", "pm_card_visa"))) == ["CardAdded", "PrimaryChanged"]


def test_at_most_the_configured_number_of_cards_can_be_saved() -> None:
    customer = given(added("c1", "pm_card_visa", max_cards=2),
                     added("c2", "pm_card_mastercard", max_cards=2))
    with pytest.raises(TooManyCards):
        when(customer, added("c3", "pm_card_amex", max_cards=2))


def test_ten_cards_is_the_default_limit_in_the_service() -> None:
    tokens = ["pm_card_visa", "pm_card_visa_debit", "pm_card_mastercard", "pm_card_mastercard_debit",
              "pm_card_mastercard_prepaid", "pm_card_amex", "pm_card_discover", "pm_card_diners",
              "pm_card_jcb", "pm_card_unionpay"]
    customer = given(*[added(f"c{i}", token) for i, token in enumerate(tokens)])
    with pytest.raises(TooManyCards):
        when(customer, added("c11", "pm_card_chargeDeclined"))


def test_setting_another_card_as_primary() -> None:
    customer = given(added("c1"), added("c2", "pm_card_mastercard"))
    events = when(customer, made_primary("c2"))
    assert kinds(events) == ["PrimaryChanged"]
    assert (events[0].from_card_id, events[0].to_card_id, events[0].reason) == ("c1", "c2", "chosen")


def test_setting_the_current_primary_as_primary_is_an_error() -> None:
    with pytest.raises(AlreadyPrimary):
        when(given(added("c1")), made_primary("c1"))


def test_an_expired_card_cannot_be_made_primary() -> None:
    # Added while valid; by 2035 it has expired.
    customer = given(added("c1"), added("c2", "pm_card_mastercard"))
    with pytest.raises(CardExpired):
        when(customer, made_primary("c2", today=date(2035, 1, 1)))


def test_an_unknown_card_cannot_be_made_primary() -> None:
    with pytest.raises(NoSuchCard):
        when(given(added("c1")), made_primary("nope"))


def test_deleting_a_card_that_is_not_primary_leaves_the_primary_alone() -> None:
    customer = given(added("c1"), added("c2", "pm_card_mastercard"))
    events = when(customer, deleted("c2"))
    assert kinds(events) == ["CardDeleted"]
    assert customer.primary_card_id == "c1"


def test_deleting_the_primary_promotes_the_newest_unexpired_card() -> None:
    # c1 is the oldest, c4 the newest but expired by then: only the right rule picks c3.
    customer = given(*four_cards_newest_expiring())
    events = when(customer, deleted("c2", today=PROMOTION_DAY))
    assert kinds(events) == ["CardDeleted", "PrimaryChanged"]
    assert (events[1].from_card_id, events[1].to_card_id, events[1].reason) == (
        "c2", "c3", "primary-deleted")
    assert customer.primary_card_id == "c3"


def test_deleting_a_card_that_is_not_primary_promotes_nothing() -> None:
    customer = given(*four_cards_newest_expiring())
    assert kinds(when(customer, deleted("c3", today=PROMOTION_DAY))) == ["CardDeleted"]
    assert customer.primary_card_id == "c2"


def test_deleting_the_primary_with_no_unexpired_card_left_leaves_no_primary() -> None:
    customer = given(added("c1"), added("c2", "pm_card_mastercard"))
    events = when(customer, deleted("c1", today=date(2035, 1, 1)))
    assert kinds(events) == ["CardDeleted"]
    assert customer.primary_card_id is None


def test_deleting_the_last_card_leaves_no_primary() -> None:
    customer = given(added("c1"))
    assert kinds(when(customer, deleted("c1"))) == ["CardDeleted"]
    assert customer.primary_card_id is None and customer.cards == {}


def test_a_card_added_when_there_is_no_primary_becomes_primary() -> None:
    customer = given(added("c1"), deleted("c1"))
    events = when(customer, added("c2", "pm_card_mastercard"))
    assert events[1].reason == "first-card"


def test_deleting_an_unknown_card_is_an_error() -> None:
    with pytest.raises(NoSuchCard):
        when(given(added("c1")), deleted("nope"))


def test_deleting_an_already_deleted_card_is_an_error() -> None:
    with pytest.raises(CardAlreadyDeleted):
        when(given(added("c1"), deleted("c1")), deleted("c1"))


def test_a_repeated_key_is_recalled_with_the_card_and_version_of_the_first_result() -> None:
    customer = given(added("c1", key="k1"))
    assert customer.recall("k1", "h-c1") == ("c1", 3)


def test_a_repeated_key_of_a_make_primary_recalls_the_card_made_primary() -> None:
    customer = given(added("c1"), added("c2", "pm_card_amex"), lambda c: c.set_primary(
        "c2", today=TODAY, by=CUSTOMER, idempotency_key="k1", request_hash="h-k1"))
    assert customer.recall("k1", "h-k1") == ("c2", customer.version)


def test_a_repeated_key_for_a_later_card_recalls_that_card_and_its_own_version() -> None:
    # The first card's add also made it primary (two events); a later card's is one.
    customer = given(added("c1", key="k1"), added("c2", "pm_card_amex", key="k2"),
                     added("c3", "pm_card_mastercard", make_primary=True, key="k3"))
    assert customer.recall("k1", "h-c1") == ("c1", 3)
    assert customer.recall("k2", "h-c2") == ("c2", 4)
    assert customer.recall("k3", "h-c3") == ("c3", 6)


def test_a_key_reused_for_a_different_request_is_an_error() -> None:
    customer = given(added("c1", key="k1"))
    with pytest.raises(IdempotencyKeyReused):
        customer.recall("k1", "another-request")


def test_a_processor_update_records_the_new_expiry() -> None:
    customer = given(added("c1"))
    events = when(customer, lambda c: c.update_card(
        "c1", last4="4242", exp_month=3, exp_year=2036, reason="automatically_updated",
        by=OFFICE))
    assert kinds(events) == ["CardUpdated"]
    assert (customer.cards["c1"].exp_month, customer.cards["c1"].exp_year) == (3, 2036)


def test_a_processor_update_that_changes_nothing_records_nothing() -> None:
    card = details("pm_card_visa")
    customer = given(added("c1"))
    assert when(customer, lambda c: c.update_card(
        "c1", last4=card.last4, exp_month=card.exp_month, exp_year=card.exp_year,
        reason="updated", by=OFFICE)) == []


def test_a_processor_update_says_whether_it_changed_the_card() -> None:
    # (reconciliation saves the customer only when it did)
    card = details("pm_card_visa")
    customer = given(added("c1"))
    same = customer.update_card("c1", last4=card.last4, exp_month=card.exp_month,
                                exp_year=card.exp_year, reason="reconciled", by=OFFICE)
    other = customer.update_card("c1", last4=card.last4, exp_month=3, exp_year=2036,
                                 reason="reconciled", by=OFFICE)
    assert (same, other) == (False, True)
    assert kinds(customer.collect_events()) == ["CardUpdated"]


def test_a_card_detached_at_the_processor_and_never_saved_is_recorded_a_saved_one_refused(
        ) -> None:
    customer = given(added("c1"))  # the Visa is saved, the Amex never was
    events = when(customer, lambda c: c.detached_unsaved_card(
        "pm_card_amex", "amex", "8431", 12, 2034, by=OFFICE))
    assert kinds(events) == ["UnsavedCardDetached"]
    assert (events[0].processor_token, events[0].last4) == ("pm_card_amex", "8431")
    with pytest.raises(ValueError, match="a saved card is not an unsaved one"):
        customer.detached_unsaved_card("pm_card_visa", "visa", "4242", 12, 2034, by=OFFICE)
    assert customer.collect_events() == []


def test_a_deletion_that_does_not_say_force_is_not_forced() -> None:
    # given autopay charging the second card
    customer = given(added("c1"), added("c2", "pm_card_amex"), lambda c: autopay.enrol(
        c, card_id="c2", text_version="v3", channel="portal", consent_id="cns_a",
        online_payments=True, today=TODAY, by=CUSTOMER))
    # when it is deleted without a word about force, then that is refused
    with pytest.raises(CardInUseByAutopay):
        when(customer, deleted("c2"))
    assert customer.collect_events() == []
    assert list(customer.cards) == ["c1", "c2"]


def test_a_saved_card_is_changed_only_by_events_never_in_place() -> None:
    customer = given(added("c1"))
    with pytest.raises(FrozenInstanceError):
        customer.cards["c1"].exp_year = 2099  # type: ignore[misc]


def test_no_event_field_can_hold_a_card_number() -> None:
    customer = given()
    for event in when(customer, added("c1")):
        for value in vars(event).values():
            assert not (isinstance(value, str) and sum(ch.isdigit() for ch in value) >= 13)


def test_the_ids_cardledger_makes_hold_no_digits_so_none_can_look_like_a_card_number() -> None:
    from domain.ids import derived_id
    from domain.service import new_card_id

    ids = [new_card_id() for _ in range(2000)] + [derived_id("pay_", str(n)) for n in range(2000)]
    assert not any(ch.isdigit() for id_ in ids for ch in id_)
    assert len(set(ids)) == len(ids)
    assert derived_id("pay_", "k") == derived_id("pay_", "k")

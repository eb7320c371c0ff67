"""The application service on a real store (SQLite and PostgreSQL):
given past commands, when a command, then the stored events or an error."""

from __future__ import annotations

import pytest

from cardledger.wiring import Runtime
from domain.errors import (
    CustomerNotFound,
    IdempotencyKeyReused,
    InvalidCommand,
    OnlinePaymentsDisabled,
    UnknownToken,
    VersionConflict,
)
from domain.provenance import Provenance

ADMIN = Provenance("user:admin", "admin")
ME = Provenance("customer:1001", "portal")
OFFICE = Provenance("user:jdoe", "office")


def event_types(runtime: Runtime, customer: str = "1001") -> list[str]:
    return [type(e).__name__ for e in runtime.ledger.customer_events("acme", customer)]


@pytest.fixture
def open_company(runtime: Runtime) -> Runtime:
    runtime.ledger.set_online_payments("acme", True, ADMIN)
    return runtime


def test_adding_a_card_to_a_new_customer_registers_them_in_the_same_append(open_company: Runtime) -> None:
    outcome = open_company.ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    assert event_types(open_company) == ["Registered", "CardAdded", "PrimaryChanged", "ProcessorCustomerLinked"]
    assert (outcome.version, outcome.replayed) == (4, False)
    assert outcome.position is not None


def test_a_repeated_command_with_the_same_key_appends_nothing(open_company: Runtime) -> None:
    first = open_company.ledger.add_card("acme", "1001", "pm_card_visa", by=ME, idempotency_key="k1")
    again = open_company.ledger.add_card("acme", "1001", "pm_card_visa", by=ME, idempotency_key="k1")
    assert (again.card_id, again.version, again.replayed) == (first.card_id, first.version, True)
    assert event_types(open_company) == ["Registered", "CardAdded", "PrimaryChanged", "ProcessorCustomerLinked"]


def test_the_same_key_for_a_different_request_is_refused(open_company: Runtime) -> None:
    open_company.ledger.add_card("acme", "1001", "pm_card_visa", by=ME, idempotency_key="k1")
    with pytest.raises(IdempotencyKeyReused):
        open_company.ledger.add_card("acme", "1001", "pm_card_amex", by=ME, idempotency_key="k1")


def test_a_stale_expected_version_is_a_conflict_and_appends_nothing(open_company: Runtime) -> None:
    open_company.ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    with pytest.raises(VersionConflict):
        open_company.ledger.add_card("acme", "1001", "pm_card_amex", by=ME, expected_version=1)
    assert len(event_types(open_company)) == 4


def test_the_current_expected_version_is_accepted(open_company: Runtime) -> None:
    open_company.ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    outcome = open_company.ledger.add_card("acme", "1001", "pm_card_amex", by=ME, expected_version=4)
    assert outcome.version == 5


def test_no_card_can_be_added_while_online_payments_are_off(runtime: Runtime) -> None:
    with pytest.raises(OnlinePaymentsDisabled):
        runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    with pytest.raises(CustomerNotFound):
        runtime.ledger.customer_events("acme", "1001")


def test_cards_can_still_be_deleted_after_online_payments_are_switched_off(open_company: Runtime) -> None:
    card = open_company.ledger.add_card("acme", "1001", "pm_card_visa", by=ME).card_id
    open_company.ledger.set_online_payments("acme", False, ADMIN)
    open_company.ledger.delete_card("acme", "1001", card, by=ME)
    assert event_types(open_company)[-1] == "CardDeleted"


def test_a_token_the_processor_does_not_know_is_refused(open_company: Runtime) -> None:
    with pytest.raises(UnknownToken):
        open_company.ledger.add_card("acme", "1001", "pm_nope", by=ME)


def test_commands_on_an_unknown_customer_are_refused(open_company: Runtime) -> None:
    with pytest.raises(CustomerNotFound):
        open_company.ledger.set_primary("acme", "nobody", "card_x", by=ME)


def test_malformed_ids_are_refused_before_anything_is_read(open_company: Runtime) -> None:
    with pytest.raises(InvalidCommand):
        open_company.ledger.add_card("acme", "10 01; drop", "pm_card_visa", by=ME)


def test_registering_a_customer_twice_changes_nothing(runtime: Runtime) -> None:
    runtime.ledger.register_customer("acme", "1001", OFFICE)
    again = runtime.ledger.register_customer("acme", "1001", OFFICE)
    assert again.position is None
    assert event_types(runtime) == ["Registered"]


def test_the_snapshot_of_a_long_lived_customer_loads_the_same_cards(open_company: Runtime) -> None:
    ledger = open_company.ledger
    ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    second = ledger.add_card("acme", "1001", "pm_card_amex", by=ME).card_id
    first = ledger.get_customer("acme", "1001").primary_card_id
    for _ in range(30):  # 60 events: past the snapshot interval of 50
        ledger.set_primary("acme", "1001", second, by=ME)
        ledger.set_primary("acme", "1001", first, by=ME)
    customer = ledger.get_customer("acme", "1001")
    assert customer.version == 65
    assert ledger.snapshots is not None and list(ledger.snapshots.get(customer.id))
    assert set(customer.cards) == {first, second} and customer.primary_card_id == first

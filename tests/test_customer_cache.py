"""The customers a process keeps after saving them (domain/customer_cache.py),
and the switch it last saw (domain/switches.py), on a real store: given
commands through this process and another one on the same store, when a
command, then what it decides and answers is what the store holds
(domain/basis.py)."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import Settings
from cardledger.wiring import Runtime
from domain.customer import Customer
from domain.customer_cache import NotCopyable, copy_of_state
from domain.errors import NoSuchCard, OnlinePaymentsDisabled
from domain.ids import customer_aggregate_id
from domain.provenance import Provenance
from domain.service import CardLedger
from projections.event_log import events_table
from tests.conftest import Clock

ADMIN = Provenance("user:admin", "admin")
ME = Provenance("customer:1001", "portal")
CUSTOMER = customer_aggregate_id("acme", "1001")


@pytest.fixture
def here(runtime: Runtime) -> CardLedger:
    runtime.ledger.set_online_payments("acme", True, ADMIN)
    return runtime.ledger


@pytest.fixture
def elsewhere(store_settings: Settings, here: CardLedger, clock: Clock) -> Iterator[CardLedger]:
    """Another API process on the same store, with its own cache."""
    ledger = CardLedger(store_settings.event_store_env(), processor=here.processor, clock=clock)
    yield ledger
    ledger.close()


def cards(customer: Customer) -> tuple[int, dict[str, Any], str | None]:
    """What an answer is built from: the version, the saved cards, the primary."""
    return customer.version, dict(customer.cards), customer.primary_card_id


def as_stored(ledger: CardLedger) -> Customer:
    stored = ledger.load_customer("acme", "1001")
    assert stored is not None
    return stored


def test_a_saved_customer_is_kept_and_the_next_command_reads_only_what_came_since(
        here: CardLedger) -> None:
    here.add_card("acme", "1001", "pm_card_visa", by=ME)
    assert (len(here.customers), here.customers.hits) == (1, 0)
    here.add_card("acme", "1001", "pm_card_mastercard", by=ME)
    assert here.customers.hits == 1
    assert cards(here.customers.take(CUSTOMER)) == cards(as_stored(here))


def test_a_card_another_process_saved_is_seen_by_the_next_command_here(
        here: CardLedger, elsewhere: CardLedger) -> None:
    here.add_card("acme", "1001", "pm_card_visa", by=ME)  # kept here, at that version
    theirs = elsewhere.add_card("acme", "1001", "pm_card_mastercard", by=ME)
    outcome = here.delete_card("acme", "1001", theirs.card_id, by=ME)
    assert outcome.customer is not None and theirs.card_id not in outcome.customer.cards
    assert here.customers.hits == 1  # it came from the cache, brought up to date
    assert cards(outcome.customer) == cards(as_stored(here))


def test_a_card_deleted_elsewhere_is_not_found_here_either(
        here: CardLedger, elsewhere: CardLedger) -> None:
    mine = here.add_card("acme", "1001", "pm_card_visa", by=ME)
    here.add_card("acme", "1001", "pm_card_mastercard", by=ME)
    elsewhere.delete_card("acme", "1001", mine.card_id, by=ME)
    with pytest.raises(NoSuchCard):
        here.set_primary("acme", "1001", mine.card_id, by=ME)


def test_a_command_that_fails_leaves_nothing_half_changed_behind(here: CardLedger) -> None:
    here.add_card("acme", "1001", "pm_card_visa", by=ME)
    with pytest.raises(NoSuchCard):
        here.delete_card("acme", "1001", "card_nope", by=ME)
    assert len(here.customers) == 0  # taken, and not given back
    outcome = here.add_card("acme", "1001", "pm_card_mastercard", by=ME)
    assert outcome.customer is not None
    assert cards(outcome.customer) == cards(as_stored(here))


def test_a_save_that_loses_its_race_runs_again_on_the_stored_customer(
        here: CardLedger, elsewhere: CardLedger) -> None:
    here.add_card("acme", "1001", "pm_card_visa", by=ME)

    class OtherProcessSavesDuringAttach(SandboxProcessor):
        """Between this process's load and its save, the other one saves a card."""

        def __init__(self) -> None:
            super().__init__()
            self.attached = here.processor.attached  # type: ignore[attr-defined]
            self.raced = False

        def attach(self, customer_ref: str, token: str) -> Any:
            if not self.raced:
                self.raced = True
                elsewhere.add_card("acme", "1001", "pm_card_amex", by=ME)
            return super().attach(customer_ref, token)

    here.processor = OtherProcessSavesDuringAttach()
    outcome = here.add_card("acme", "1001", "pm_card_mastercard", by=ME)
    assert outcome.customer is not None
    assert len(outcome.customer.cards) == 3
    assert cards(here.customers.take(CUSTOMER)) == cards(as_stored(here))


def test_an_answer_keeps_showing_its_own_command_while_the_next_one_runs(
        here: CardLedger) -> None:
    first = here.add_card("acme", "1001", "pm_card_visa", by=ME)
    here.add_card("acme", "1001", "pm_card_mastercard", by=ME, make_primary=True)
    assert first.customer is not None
    assert list(first.customer.cards) == [first.card_id]
    assert first.customer.primary_card_id == first.card_id


def test_with_the_cache_off_every_command_loads_from_the_store(
        store_settings: Settings, clock: Clock) -> None:
    ledger = CardLedger(store_settings.event_store_env(), processor=SandboxProcessor(),
                        clock=clock, customer_cache_size=0)
    try:
        ledger.set_online_payments("acme", True, ADMIN)
        ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
        ledger.add_card("acme", "1001", "pm_card_mastercard", by=ME)
        assert (len(ledger.customers), ledger.customers.hits) == (0, 0)
    finally:
        ledger.close()


def test_the_least_recently_saved_customer_goes_first(store_settings: Settings,
                                                       clock: Clock) -> None:
    ledger = CardLedger(store_settings.event_store_env(), processor=SandboxProcessor(),
                        clock=clock, customer_cache_size=2)
    try:
        ledger.set_online_payments("acme", True, ADMIN)
        for customer in ("1", "2", "3"):
            ledger.add_card("acme", customer, "pm_card_visa",
                            by=Provenance(f"customer:{customer}", "portal"))
        assert ledger.customers.take(customer_aggregate_id("acme", "1")) is None
        assert ledger.customers.take(customer_aggregate_id("acme", "3")) is not None
    finally:
        ledger.close()


def test_a_customer_that_cannot_be_copied_is_not_kept_and_its_command_still_succeeds(
        here: CardLedger, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # given a customer object holding something pickle cannot copy
    original = CardLedger._customer_to_change

    def with_a_lock(ledger: CardLedger, *args: Any) -> Any:
        customer = original(ledger, *args)
        if customer is not None:
            customer.not_copyable = threading.Lock()
        return customer

    monkeypatch.setattr(CardLedger, "_customer_to_change", with_a_lock)
    here.add_card("acme", "1001", "pm_card_visa", by=ME)
    # when a command on them is saved
    outcome = here.add_card("acme", "1001", "pm_card_mastercard", by=ME)
    # then the command succeeded, nothing was kept, and the log says why
    assert outcome.version == as_stored(here).version
    assert len(here.customers) == 0
    assert "could not be kept in the cache" in caplog.text


# --- deciding on what this process kept (domain/basis.py) -------------------------------------

class CountingReads:
    """The store's reads of streams, counted (what a command waits for before
    its append)."""

    def __init__(self, ledger: CardLedger, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        recorder: Any = ledger.recorder
        select = recorder.select_events

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return select(*args, **kwargs)

        monkeypatch.setattr(recorder, "select_events", counted)


def test_a_command_on_a_kept_customer_reads_nothing_before_its_append(
        here: CardLedger, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a customer and its company's switch, both seen by this process
    first = here.add_card("acme", "1001", "pm_card_visa", by=ME)
    reads = CountingReads(here, monkeypatch)
    # When more commands on that customer run here
    second = here.add_card("acme", "1001", "pm_card_mastercard", by=ME)
    here.set_primary("acme", "1001", second.card_id, by=ME)
    outcome = here.delete_card("acme", "1001", first.card_id, by=ME)
    # Then none read the store first, and each answer is what the store holds
    assert reads.count == 0
    assert outcome.customer is not None and cards(outcome.customer) == cards(as_stored(here))


def test_a_switch_turned_off_elsewhere_refuses_the_next_card_here_and_detaches_it(
        here: CardLedger, elsewhere: CardLedger) -> None:
    # Given this process saw the switch on
    here.add_card("acme", "1001", "pm_card_visa", by=ME)
    version = as_stored(here).version
    # When an admin switches online payments off through another process
    elsewhere.set_online_payments("acme", False, ADMIN)
    # Then the next card added here is refused, nothing is appended, and the
    # card is not left attached at the processor
    with pytest.raises(OnlinePaymentsDisabled):
        here.add_card("acme", "1001", "pm_card_mastercard", by=ME)
    assert as_stored(here).version == version
    assert "pm_card_mastercard" not in here.processor.attached  # type: ignore[attr-defined]


def test_a_switch_turned_on_elsewhere_lets_the_next_card_in_here(
        here: CardLedger, elsewhere: CardLedger) -> None:
    # Given this process saw the switch off (and refused a card for it)
    elsewhere.set_online_payments("acme", False, ADMIN)
    with pytest.raises(OnlinePaymentsDisabled):
        here.add_card("acme", "1001", "pm_card_visa", by=ME)
    here.set_online_payments("acme", False, ADMIN)  # and saw its own switch-off
    # When an admin switches them on through another process
    elsewhere.set_online_payments("acme", True, ADMIN)
    # Then the next card added here is saved: a refusal decided on a kept
    # reading stands only once the store confirms it
    outcome = here.add_card("acme", "1001", "pm_card_visa", by=ME)
    assert outcome.card_id in as_stored(here).cards


def test_a_store_holding_less_than_the_kept_customer_gets_no_gap(
        runtime: Runtime, here: CardLedger) -> None:
    # Given a customer kept here at its last version
    here.add_card("acme", "1001", "pm_card_visa", by=ME)
    here.add_card("acme", "1001", "pm_card_mastercard", by=ME)
    kept_at = as_stored(here).version
    # When the store loses its last event (restored from an older backup)
    table, _ = events_table(here, postgres=runtime.read_model.db.postgres)
    with runtime.read_model.db.transaction() as tx:
        tx.execute(f"DELETE FROM {table} WHERE originator_id = :id AND originator_version = :v",  # noqa: S608
                   {"id": CUSTOMER if tx.postgres else CUSTOMER.hex, "v": kept_at})
    # Then the next command decides on what the store holds, and the stream
    # stays whole: versions 1..n, none skipped
    here.add_card("acme", "1001", "pm_card_amex", by=ME)
    versions = [e.originator_version for e in here.events.get(CUSTOMER)]
    assert versions == list(range(1, kept_at + 1))


class CountingRefusedAppends:
    """Appends the store refused as conflicts (each held the store's lock)."""

    def __init__(self, ledger: CardLedger, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        recorder: Any = ledger.recorder
        insert = recorder.insert_events

        def counted(*args: Any, **kwargs: Any) -> Any:
            try:
                return insert(*args, **kwargs)
            except IntegrityError:
                self.count += 1
                raise

        monkeypatch.setattr(recorder, "insert_events", counted)


def test_a_customer_another_process_writes_too_is_read_from_the_store_before_deciding(
        here: CardLedger, elsewhere: CardLedger, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a customer kept here, then changed through another process
    here.add_card("acme", "1001", "pm_card_visa", by=ME)
    elsewhere.add_card("acme", "1001", "pm_card_mastercard", by=ME)
    refused = CountingRefusedAppends(here, monkeypatch)
    # When commands here and there alternate
    here.add_card("acme", "1001", "pm_card_amex", by=ME)
    elsewhere.add_card("acme", "1001", "pm_card_discover", by=ME)
    outcome = here.add_card("acme", "1001", "pm_card_diners", by=ME)
    # Then only the first decision here on the kept copy was refused at the
    # append; from then on the customer is read from the store first
    assert refused.count == 1
    assert outcome.customer is not None and cards(outcome.customer) == cards(as_stored(here))


def test_a_customer_saved_by_an_invoice_payment_is_not_decided_on_from_an_older_copy(
        here: CardLedger, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a customer kept here, then charged for an invoice here
    here.add_card("acme", "1001", "pm_card_visa", by=ME)
    here.pay_invoice("acme", "1001", invoice_id="INV-1", amount=12_50, currency="usd", by=ME,
                     idempotency_key="pay-1")
    refused = CountingRefusedAppends(here, monkeypatch)
    # When the next card command runs
    here.add_card("acme", "1001", "pm_card_mastercard", by=ME)
    # Then it decided on the customer with the payment: nothing was refused
    assert refused.count == 0


def test_while_kept_copies_are_often_behind_commands_read_the_store_first(
        here: CardLedger, elsewhere: CardLedger, monkeypatch: pytest.MonkeyPatch) -> None:
    refused = CountingRefusedAppends(here, monkeypatch)
    # Given customers whose commands reach this process and another in turn
    # (a portal whose requests land on any API worker)
    for n in range(20):
        here.add_card("acme", f"c{n}", "pm_card_visa", by=ME)
        elsewhere.add_card("acme", f"c{n}", "pm_card_mastercard", by=ME)
        here.add_card("acme", f"c{n}", "pm_card_amex", by=ME)
    # Then only the first few decisions on kept copies were refused at the
    # append: after those, this process read the store before deciding
    assert 1 <= refused.count <= 5
    # And when commands reach only this process again, its copies prove
    # current, and it decides on them without reading the store once more
    first = here.add_card("acme", "solo", "pm_card_visa", by=ME).card_id
    second = here.add_card("acme", "solo", "pm_card_mastercard", by=ME).card_id
    for n in range(100):
        here.set_primary("acme", "solo", second if n % 2 == 0 else first, by=ME)
    reads = CountingReads(here, monkeypatch)
    here.set_primary("acme", "solo", second, by=ME)
    assert reads.count == 0


def test_an_if_match_on_the_version_stored_elsewhere_is_met_here(
        here: CardLedger, elsewhere: CardLedger) -> None:
    # Given a customer kept here, then changed through another process
    here.add_card("acme", "1001", "pm_card_visa", by=ME)
    theirs = elsewhere.add_card("acme", "1001", "pm_card_mastercard", by=ME)
    # When a command here expects the version the other process stored
    outcome = here.add_card("acme", "1001", "pm_card_amex", by=ME,
                            expected_version=theirs.version)
    # Then it is met: the kept copy's older version is not what it is held to
    assert outcome.version == as_stored(here).version


# --- the kept copy (copy_of_state) ---------------------------------------------------------

def test_a_kept_copy_changed_by_every_later_event_leaves_the_original_as_it_was(
        here: CardLedger) -> None:
    # Given a customer whose stream holds every kind of change a command makes:
    # cards added, made primary, updated at the processor and deleted, payments
    # that succeed and fail, autopay on and off, autopay charges, receipts, erasure
    here.add_card("acme", "1001", "pm_card_visa", by=ME, idempotency_key="k1")
    declined = here.add_card("acme", "1001", "pm_card_chargeDeclined", by=ME).card_id
    amex = here.add_card("acme", "1001", "pm_card_amex", by=ME, make_primary=True).card_id
    here.record_processor_update("cus_sandbox.acme.1001", "pm_card_visa", last4="4242",
                                 exp_month=3, exp_year=2036, reason="account-updater",
                                 event_id="evt_1")
    here.pay_invoice("acme", "1001", by=ME, idempotency_key="p1", invoice_id="INV-1",
                     amount=1250, currency="usd")
    here.pay_invoice("acme", "1001", by=ME, idempotency_key="p2", invoice_id="INV-2",
                     amount=990, currency="usd", card_id=declined)
    here.autopay.enrol("acme", "1001", card_id=amex, consent_text_version="v1",
                       consent_channel="portal", by=ME)
    here.autopay.charge("acme", "1001", invoice_id="INV-3", amount=100, currency="usd",
                        by=ADMIN, idempotency_key="c1")
    here.autopay.turn_off("acme", "1001", by=ME)
    here.delete_card("acme", "1001", declined, by=ME)
    here.erase_customer("acme", "1001", by=ADMIN)
    events = list(here.repository.event_store.get(CUSTOMER))
    kinds = {type(e).__name__ for e in events}
    assert {"CardAdded", "PrimaryChanged", "CardUpdated", "CardDeleted", "PaymentSucceeded",
            "PaymentFailed", "AutopayEnabled", "AutopayChargeStarted", "AutopayAttemptFinished",
            "AutopayChargeSettled", "AutopayDisabled", "Erased"} <= kinds
    for cut in range(1, len(events)):
        # when the customer as of each event is copied, and the copy takes the rest
        original: Any = None
        for event in events[:cut]:
            original = event.mutate(original)
        before = pickle.dumps(original)
        copy = copy_of_state(original)
        for event in events[cut:]:
            copy = event.mutate(copy)
        # then the original is exactly as it was: no event changed a shared value in place
        assert pickle.dumps(original) == before, f"changed by events after {events[cut - 1]!r}"


def test_a_customer_holding_a_value_of_unknown_kind_is_not_copied() -> None:
    # given a customer-like object with a mutable value that is not a container
    class Holder:
        pass

    holder = Holder()
    holder.lock = threading.Lock()  # type: ignore[attr-defined]
    # when it is copied, then it is refused rather than shared
    with pytest.raises(NotCopyable, match="lock is a lock"):
        copy_of_state(holder)

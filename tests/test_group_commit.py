"""Group commit on the real stores: waiting commands share one insert, a
conflicting member fails alone, and every answer equals what was committed."""

from __future__ import annotations

import threading
import time

import pytest
from eventsourcing.persistence import IntegrityError

from cardledger.wiring import Runtime
from domain.commands import AddCard, Stamp
from domain.customer import Customer
from domain.group_commit import GroupCommit, _Ticket
from domain.provenance import Provenance
from eventsourcing.application import ProcessingEvent

OFFICE = Provenance("user:jdoe", "office")
DISTINCT_CARDS = ["pm_card_mastercard", "pm_card_amex", "pm_card_discover", "pm_card_diners",
                  "pm_card_jcb", "pm_card_unionpay", "pm_card_visa_debit"]


def pending(aggregate: Customer) -> _Ticket:
    work: ProcessingEvent = ProcessingEvent()
    work.collect_events(aggregate)
    return _Ticket(work)


def test_a_batch_with_one_conflicting_member_commits_the_others(runtime: Runtime) -> None:
    # Given three registrations waiting together, two of them for the same customer
    first = pending(Customer.register("acme", "A", OFFICE))
    other = pending(Customer.register("acme", "B", OFFICE))
    loser = pending(Customer.register("acme", "A", OFFICE))
    commit = GroupCommit(runtime.ledger)

    # When they are saved as one batch
    commit.save_together([first, other, loser])

    # Then only the second registration of A fails; A and B are stored once each
    assert first.error is None and other.error is None
    assert isinstance(loser.error, IntegrityError)
    assert [r.notification.id for r in first.recordings + other.recordings] == sorted(
        r.notification.id for r in first.recordings + other.recordings)
    for customer_id in ("A", "B"):
        stored = runtime.ledger.load_customer("acme", customer_id)
        assert stored is not None and stored.version == 1


def test_commands_that_arrive_while_a_save_runs_share_the_next_insert(
        runtime: Runtime) -> None:
    # Given a save in progress (another thread leads) and five commands arriving meanwhile
    ledger, commit = runtime.ledger, runtime.ledger.group_commit
    ledger.set_online_payments("acme", True, OFFICE)
    with commit._turn:
        commit._leading = True
    outcomes: dict[str, object] = {}

    def add(customer: str) -> None:
        outcomes[customer] = ledger.run(
            AddCard(company_id="acme", customer_id=customer, token="pm_card_visa"),
            Stamp(OFFICE))

    threads = [threading.Thread(target=add, args=(f"c{n}",)) for n in range(5)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(commit._waiting) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(commit._waiting) == 5

    # When the save in progress ends
    with commit._turn:
        commit._leading = False
        commit._turn.notify_all()
    for thread in threads:
        thread.join(timeout=30)

    # Then the five were saved by one insert, and each answer is what was committed
    assert commit.batch_sizes == {5: 1}
    for customer, outcome in outcomes.items():
        stored = ledger.load_customer("acme", customer)
        assert stored is not None
        assert outcome.version == stored.version
        assert outcome.card_id in stored.cards
    positions = sorted(outcome.position for outcome in outcomes.values())
    assert len(set(positions)) == 5


def test_a_lone_command_is_saved_at_once_by_itself(runtime: Runtime) -> None:
    # Given nothing else waiting
    ledger = runtime.ledger
    ledger.set_online_payments("acme", True, OFFICE)
    # When one command runs
    outcome = ledger.run(AddCard(company_id="acme", customer_id="solo", token="pm_card_visa"),
                         Stamp(OFFICE))
    # Then it was one insert of one command
    assert ledger.group_commit.batch_sizes == {1: 1}
    assert outcome.position == ledger.recorder.max_notification_id()


@pytest.mark.parametrize("members", [2, 7])
def test_two_commands_for_one_customer_in_one_batch_both_land_after_a_retry(
        runtime: Runtime, members: int) -> None:
    # Given several commands for the same customer held back until they can batch
    ledger, commit = runtime.ledger, runtime.ledger.group_commit
    ledger.set_online_payments("acme", True, OFFICE)
    ledger.run(AddCard(company_id="acme", customer_id="same", token="pm_card_visa"),
               Stamp(OFFICE))
    with commit._turn:
        commit._leading = True
    errors: list[BaseException] = []

    def add(token: str) -> None:
        try:
            ledger.run(AddCard(company_id="acme", customer_id="same", token=token),
                       Stamp(OFFICE))
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=add, args=(token,)) for token in DISTINCT_CARDS[:members]]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(commit._waiting) < members and time.monotonic() < deadline:
        time.sleep(0.01)
    # When the batch is released
    with commit._turn:
        commit._leading = False
        commit._turn.notify_all()
    for thread in threads:
        thread.join(timeout=30)
    # Then the losers reloaded and retried: every command landed, none lost
    assert errors == []
    stored = ledger.load_customer("acme", "same")
    assert stored is not None and len(stored.cards) == members + 1


def test_with_group_commit_off_each_command_is_its_own_insert_and_nothing_is_held(
        runtime: Runtime) -> None:
    # Given group commit switched off (CARDLEDGER_GROUP_COMMIT=false)
    ledger = runtime.ledger
    ledger.group_commit.enabled = False
    ledger.set_online_payments("acme", True, OFFICE)
    # When three commands run
    for token in DISTINCT_CARDS[:3]:
        ledger.run(AddCard(company_id="acme", customer_id="alone", token=token), Stamp(OFFICE))
    # Then they were three inserts of one, and no finished command waits in the queue
    assert ledger.group_commit.batch_sizes == {1: 3}
    assert ledger.group_commit._waiting == []

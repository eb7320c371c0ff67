"""Appends made on condition (storage/expected_versions.py), on the real
stores: given a stream at some version, when an append expects it at a
version, then it commits only if the stream is exactly there, and a refused
append stores nothing."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.application import ProcessingEvent

from cardledger.wiring import Runtime
from domain.company import Company
from domain.customer import Customer
from domain.group_commit import GroupCommit, _Ticket
from domain.provenance import Provenance
from storage.expected_versions import StreamMoved

ADMIN = Provenance("user:admin", "admin")


def stored_versions(runtime: Runtime, stream_id: Any) -> list[int]:
    return [e.originator_version for e in runtime.ledger.events.get(stream_id)]


def with_pending(aggregate: Any, expected: dict[Any, int]) -> _Ticket:
    work: ProcessingEvent = ProcessingEvent()
    work.collect_events(aggregate)
    work.saved_kwargs["expected_versions"] = expected
    return _Ticket(work)


@pytest.fixture
def company(runtime: Runtime) -> Company:
    """acme, switched on then off: a stream of a few events."""
    runtime.ledger.set_online_payments("acme", True, ADMIN)
    runtime.ledger.set_online_payments("acme", False, ADMIN)
    stored = runtime.ledger.company_or_none("acme")
    assert stored is not None and stored.version > 1
    return stored


def test_an_append_expecting_another_stream_where_it_is_commits(
        runtime: Runtime, company: Company) -> None:
    customer = Customer.register("acme", "1001", ADMIN)
    runtime.ledger.save(customer, expected_versions={company.id: company.version})
    assert stored_versions(runtime, customer.id) == [1]


@pytest.mark.parametrize("off_by", [-1, 1, None], ids=["moved-since", "ahead-of-store", "never"])
def test_an_append_expecting_another_stream_elsewhere_is_refused_and_stores_nothing(
        runtime: Runtime, company: Company, off_by: int | None) -> None:
    customer = Customer.register("acme", "1001", ADMIN)
    read_at = 0 if off_by is None else company.version + off_by
    with pytest.raises(StreamMoved) as refused:
        runtime.ledger.save(customer, expected_versions={company.id: read_at})
    assert refused.value.moved == (company.id,)
    assert stored_versions(runtime, customer.id) == []
    assert stored_versions(runtime, company.id) == list(range(1, company.version + 1))


def test_an_append_to_a_stream_the_store_holds_less_of_than_expected_is_refused(
        runtime: Runtime) -> None:
    # Given a customer at version 1 in the store, kept at version 3 in memory
    # (a store restored from an older backup while the process ran)
    runtime.ledger.save(Customer.register("acme", "1001", ADMIN))
    kept = runtime.ledger.get_customer("acme", "1001")
    kept._version = 3  # what memory claims
    kept.link_processor_customer("cus_1", by=ADMIN)
    # When it is appended on condition that the stream is at 3
    # Then the store refuses it (the unique key alone would accept version 4)
    with pytest.raises(StreamMoved):
        runtime.ledger.save(kept, expected_versions={kept.id: 3})
    assert stored_versions(runtime, kept.id) == [1]


def test_a_batch_with_one_member_whose_basis_moved_commits_the_others(
        runtime: Runtime, company: Company) -> None:
    # Given three registrations waiting together, one decided on the company at version 1
    fresh = with_pending(Customer.register("acme", "A", ADMIN), {company.id: company.version})
    stale = with_pending(Customer.register("acme", "B", ADMIN), {company.id: company.version - 1})
    other = with_pending(Customer.register("acme", "C", ADMIN), {})
    # When they are saved as one batch
    GroupCommit(runtime.ledger).save_together([fresh, stale, other])
    # Then only the stale one fails, as a conflict; the others are stored
    assert fresh.error is None and other.error is None
    assert isinstance(stale.error, StreamMoved)
    assert [runtime.ledger.load_customer("acme", c) is not None for c in "ABC"] == [
        True, False, True]

"""The processor's customer record follows the saved cards (sandbox
processor, through the service, on SQLite and PostgreSQL): given a customer,
when cards are added, deleted or changed at the processor, then these events
and these attachments."""

from __future__ import annotations

from typing import Any

import pytest

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.wiring import Runtime
from domain.errors import CardAlreadySaved, CardExpired, ProcessorUnavailable, UnknownToken
from domain.provenance import Provenance

ME = Provenance("customer:1001", "portal")
ADMIN = Provenance("user:admin", "admin")
REF = "cus_sandbox.acme.1001"


class SimulatedStoreFailure(Exception):
    pass


@pytest.fixture
def sandbox(runtime: Runtime) -> SandboxProcessor:
    runtime.ledger.set_online_payments("acme", True, ADMIN)
    return runtime.ledger.processor  # type: ignore[return-value]


def events(runtime: Runtime, since: int = 0) -> list[Any]:
    return list(runtime.ledger.customer_events("acme", "1001"))[since:]


def kinds(runtime: Runtime, since: int = 0) -> list[str]:
    return [type(e).__name__ for e in events(runtime, since)]


def test_the_first_card_links_a_processor_customer_and_is_attached_to_it(
        runtime: Runtime, sandbox: SandboxProcessor) -> None:
    runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    assert kinds(runtime) == [
        "Registered", "CardAdded", "PrimaryChanged", "ProcessorCustomerLinked"]
    assert events(runtime)[-1].processor_customer_id == REF
    assert sandbox.attached == {"pm_card_visa": REF}


def test_later_cards_go_to_the_same_processor_customer(
        runtime: Runtime, sandbox: SandboxProcessor) -> None:
    runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    runtime.ledger.add_card("acme", "1001", "pm_card_amex", by=ME)
    assert kinds(runtime, 4) == ["CardAdded"]
    assert sandbox.attached == {"pm_card_visa": REF, "pm_card_amex": REF}


def test_a_duplicate_card_is_refused_before_it_reaches_the_processor(
        runtime: Runtime, sandbox: SandboxProcessor) -> None:
    runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    sandbox.cards["pm_card_visa_again"] = sandbox.cards["pm_card_visa"]  # same card, new token
    with pytest.raises(CardAlreadySaved):
        runtime.ledger.add_card("acme", "1001", "pm_card_visa_again", by=ME)
    assert len(events(runtime)) == 4 and "pm_card_visa_again" not in sandbox.attached


def test_an_expired_card_is_refused_and_not_attached(
        runtime: Runtime, sandbox: SandboxProcessor) -> None:
    with pytest.raises(CardExpired):
        runtime.ledger.add_card("acme", "1001", "pm_card_expired", by=ME)
    assert sandbox.attached == {}


def test_an_unknown_token_is_refused_and_nothing_is_recorded(
        runtime: Runtime, sandbox: SandboxProcessor) -> None:
    runtime.ledger.register_customer("acme", "1001", ME)
    with pytest.raises(UnknownToken):
        runtime.ledger.add_card("acme", "1001", "pm_no_such_card", by=ME)
    assert kinds(runtime) == ["Registered"]


def test_a_failed_append_detaches_the_card_it_attached(
        runtime: Runtime, sandbox: SandboxProcessor, monkeypatch: pytest.MonkeyPatch) -> None:
    attached_when_appending: list[dict[str, str]] = []

    def failing_save(*aggregates: Any, **kwargs: Any) -> Any:
        attached_when_appending.append(dict(sandbox.attached))
        raise SimulatedStoreFailure

    # Commands are saved through the group commit (domain/group_commit.py).
    monkeypatch.setattr(runtime.ledger.group_commit, "save", failing_save)
    with pytest.raises(SimulatedStoreFailure):
        runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    assert attached_when_appending == [{"pm_card_visa": REF}]
    assert sandbox.attached == {}


def test_a_deleted_card_is_detached_after_the_deletion_is_recorded(
        runtime: Runtime, sandbox: SandboxProcessor) -> None:
    visa = runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME).card_id
    runtime.ledger.add_card("acme", "1001", "pm_card_amex", by=ME)
    runtime.ledger.delete_card("acme", "1001", visa or "", by=ME)
    assert sandbox.attached == {"pm_card_amex": REF}


def test_a_detach_the_processor_cannot_do_leaves_the_deletion_recorded(
        runtime: Runtime, sandbox: SandboxProcessor, monkeypatch: pytest.MonkeyPatch) -> None:
    visa = runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME).card_id

    def unavailable(token: str) -> None:
        raise ProcessorUnavailable("down")

    monkeypatch.setattr(sandbox, "detach", unavailable)
    outcome = runtime.ledger.delete_card("acme", "1001", visa or "", by=ME)
    assert outcome.position is not None and kinds(runtime)[-1] == "CardDeleted"


def update(runtime: Runtime, event_id: str = "evt_1", ref: str = REF,
           token: str = "pm_card_visa", exp: tuple[int, int] = (3, 2036)) -> Any:
    return runtime.ledger.record_processor_update(
        ref, token, last4="4242", exp_month=exp[0], exp_year=exp[1],
        reason="account-updater", event_id=event_id)


def test_a_processor_side_update_is_recorded_by_the_processor(
        runtime: Runtime, sandbox: SandboxProcessor) -> None:
    visa = runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME).card_id
    outcome = update(runtime)
    change = events(runtime)[-1]
    assert type(change).__name__ == "CardUpdated" and outcome.card_id == visa
    assert (change.card_id, change.exp_month, change.exp_year) == (visa, 3, 2036)
    assert (change.actor, change.source, change.idempotency_key) == (
        "system:processor", "processor", "evt_1")


def test_a_redelivered_processor_event_is_recorded_once(
        runtime: Runtime, sandbox: SandboxProcessor) -> None:
    runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    update(runtime, exp=(3, 2036))
    update(runtime, event_id="evt_2", exp=(4, 2037))
    again = update(runtime, exp=(3, 2036))  # evt_1 arrives again, late
    assert again.replayed and kinds(runtime, 4) == ["CardUpdated", "CardUpdated"]
    assert runtime.ledger.get_customer("acme", "1001").cards[again.card_id].exp_month == 4


def test_an_update_that_changes_nothing_records_nothing(
        runtime: Runtime, sandbox: SandboxProcessor) -> None:
    runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    outcome = update(runtime, exp=(12, 2034))
    assert outcome.position is None and len(events(runtime)) == 4


@pytest.mark.parametrize(("ref", "token"), [
    ("cus_sandbox.acme.9999", "pm_card_visa"),  # a customer cardledger never had
    ("cus_someone_else", "pm_card_visa"),  # a processor customer that is not ours
    (REF, "pm_card_amex"),  # a card the customer never saved here
])
def test_an_update_about_a_card_cardledger_does_not_hold_is_ignored(
        runtime: Runtime, sandbox: SandboxProcessor, ref: str, token: str) -> None:
    runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    assert update(runtime, ref=ref, token=token) is None
    assert len(events(runtime)) == 4

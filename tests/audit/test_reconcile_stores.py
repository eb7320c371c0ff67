"""Reconciliation's bookkeeping on both stores (sandbox processor): the
customers it walks and where an interrupted run resumes live in the
database beside the views."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.reconcile import Reconciler
from cardledger.wiring import Runtime
from domain.provenance import Provenance

ADMIN = Provenance("user:admin", "admin")


def portal(customer: str) -> Provenance:
    return Provenance(f"customer:{customer}", "portal")


@pytest.fixture
def sandbox(runtime: Runtime) -> SandboxProcessor:
    """Given customers 1001 and 1002 of acme, and 2001 of globex, with a card each."""
    runtime.ledger.set_online_payments("acme", True, ADMIN)
    runtime.ledger.set_online_payments("globex", True, ADMIN)
    for company, customer in (("acme", "1001"), ("acme", "1002"), ("globex", "2001")):
        runtime.ledger.add_card(company, customer, "pm_card_visa", by=portal(customer))
    runtime.projector.catch_up()
    return runtime.ledger.processor  # type: ignore[return-value]


def test_an_unsaved_card_and_a_card_gone_at_the_processor_are_recorded(
        runtime: Runtime, sandbox: SandboxProcessor) -> None:
    sandbox.attach("cus_sandbox.acme.1002", "pm_card_amex")  # never saved
    sandbox.detach("pm_card_visa")  # gone for every customer holding it
    summary = Reconciler(runtime.ledger, grace=timedelta(0)).run("acme")
    assert sorted((c.customer_id, c.kind) for c in summary.changes) == [
        ("1001", "deleted"), ("1002", "deleted"), ("1002", "detach-unsaved")]
    assert "pm_card_amex" not in sandbox.attached
    assert Reconciler(runtime.ledger, grace=timedelta(0)).run("acme").changes == []
    assert runtime.ledger.get_customer("globex", "2001").cards  # another company: untouched


def test_a_run_resumes_after_the_customer_it_finished_last(
        runtime: Runtime, sandbox: SandboxProcessor) -> None:
    def interrupt(done: int, total: int, customer: str) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Reconciler(runtime.ledger, progress=interrupt).run()
    resumed = Reconciler(runtime.ledger).run()
    assert resumed.resumed_after == ("acme", "1002")
    assert resumed.customers == 1
    assert Reconciler(runtime.ledger).run().resumed_after is None  # finished: starts over


def test_autopays_card_gone_at_the_processor_is_deleted_and_autopay_follows_the_primary(
        runtime: Runtime, sandbox: SandboxProcessor) -> None:
    # given customer 1000 (reconciled first) with a Mastercard, primary, and an Amex
    # that autopay charges
    me = portal("1000")
    runtime.ledger.add_card("acme", "1000", "pm_card_mastercard", by=me)
    amex = runtime.ledger.add_card("acme", "1000", "pm_card_amex", by=me).card_id
    runtime.ledger.autopay.enrol("acme", "1000", card_id=amex, by=me,
                                 consent_text_version="autopay-terms-v3", consent_channel="portal")
    runtime.projector.catch_up()
    # when the Amex is detached at the processor and the company is reconciled
    sandbox.detach("pm_card_amex")
    summary = Reconciler(runtime.ledger, grace=timedelta(0)).run("acme")
    # then it is recorded as deleted, autopay follows the primary (the office is
    # told), and the run goes on to the customers after it
    assert [(c.kind, c.card) for c in summary.changes if c.customer_id == "1000"] == [
        ("deleted", amex)]
    assert summary.customers == 3
    events = runtime.ledger.customer_events("acme", "1000")
    assert [type(e).__name__ for e in events[-2:]] == ["CardDeleted", "AutopayCardChanged"]
    autopay, customer = runtime.ledger.autopay.of("acme", "1000")
    assert (autopay.enabled, autopay.card_id, [c.brand for c in customer.cards.values()]) == (
        True, None, ["mastercard"])

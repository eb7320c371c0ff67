"""Reconciliation against localstripe: given saved cards and injected
differences (a card attached at Stripe but never saved, a saved card detached
at Stripe behind cardledger's back, a saved expiry that differs from
Stripe's), when `reconcile` runs, then each difference is fixed once by
system:reconciler, and a second run finds none."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import stripe

from cardledger.processors.stripe import StripeProcessor
from cardledger.reconcile import Reconciler
from cardledger.wiring import Runtime, open_runtime
from domain.customer import Customer
from domain.provenance import Provenance
from projections.verify import verify
from tests.stripe_server import API_KEY, card_token, stripe_settings

pytestmark = pytest.mark.stripe

ME = Provenance("customer:1001", "portal")
ADMIN = Provenance("user:admin", "admin")
VISA = "4242424242424242"
MASTERCARD = "5555555555554444"
VISA_DEBIT = "4000056655665556"


@pytest.fixture
def runtime(localstripe_url: str, tmp_path: Path) -> Iterator[Runtime]:
    settings = stripe_settings(localstripe_url, tmp_path / "data")
    with open_runtime(settings, run_projector=False) as rt:
        assert isinstance(rt.ledger.processor, StripeProcessor)
        rt.ledger.set_online_payments("acme", True, ADMIN)
        yield rt


@pytest.fixture
def injected(runtime: Runtime, stripe_api: stripe.StripeClient) -> dict[str, Any]:
    """Given customer 1001 with a Visa and a Mastercard saved, then: a debit
    Visa attached at Stripe but never saved, the Mastercard detached at Stripe
    only, and the saved Visa's expiry changed in cardledger only."""
    ledger = runtime.ledger
    visa = ledger.add_card("acme", "1001", card_token(stripe_api, VISA, (12, 2031)), by=ME).card_id
    master = ledger.add_card("acme", "1001", card_token(stripe_api, MASTERCARD), by=ME).card_id
    customer = ledger.get_customer("acme", "1001")
    ref = customer.processor_customer_id
    orphan = card_token(stripe_api, VISA_DEBIT)
    stripe_api.v1.payment_methods.attach(orphan, params={"customer": ref})
    stripe_api.v1.payment_methods.detach(customer.cards[master].processor_token)
    customer.update_card(visa, last4="4242", exp_month=1, exp_year=2030, reason="test-skew",
                         by=ADMIN)
    ledger.save(customer)
    runtime.projector.catch_up()
    return {"visa": visa, "master": master, "orphan": orphan, "ref": ref}


def attached(stripe_api: stripe.StripeClient, ref: str) -> set[str]:
    listed = stripe_api.v1.payment_methods.list(params={"customer": ref, "type": "card"})
    return {pm.id for pm in listed.auto_paging_iter()}


def new_events(runtime: Runtime, since: int) -> list[Any]:
    return list(runtime.ledger.customer_events("acme", "1001"))[since:]


def test_reconcile_fixes_every_difference_once_then_finds_none(
        runtime: Runtime, injected: dict[str, Any], stripe_api: stripe.StripeClient) -> None:
    before = runtime.ledger.get_customer("acme", "1001").version
    summary = Reconciler(runtime.ledger, grace=timedelta(0)).run()
    assert summary.counts() == {"detach-unsaved": 1, "deleted": 1, "updated": 1}
    events = new_events(runtime, before)
    assert {type(e).__name__ for e in events} >= {
        "CardDeleted", "CardUpdated", "UnsavedCardDetached"}
    assert all(e.actor == "system:reconciler" for e in events)
    deleted = next(e for e in events if isinstance(e, Customer.CardDeleted))
    assert (deleted.card_id, deleted.reason) == (injected["master"], "processor-detached")
    customer = runtime.ledger.get_customer("acme", "1001")
    assert (customer.cards[injected["visa"]].exp_month,
            customer.cards[injected["visa"]].exp_year) == (12, 2031)
    assert injected["orphan"] not in attached(stripe_api, injected["ref"])
    # and a second run finds nothing, appends nothing
    again = Reconciler(runtime.ledger, grace=timedelta(0)).run()
    assert again.changes == [] and again.compared == 1
    assert runtime.ledger.get_customer("acme", "1001").version == customer.version
    runtime.projector.catch_up()
    assert verify(runtime.ledger, runtime.read_model) == []


def test_a_dry_run_reports_and_changes_nothing(
        runtime: Runtime, injected: dict[str, Any], stripe_api: stripe.StripeClient) -> None:
    before = runtime.ledger.get_customer("acme", "1001").version
    summary = Reconciler(runtime.ledger, dry_run=True, grace=timedelta(0)).run("acme")
    assert sorted(c.kind for c in summary.changes) == ["deleted", "detach-unsaved", "updated"]
    assert runtime.ledger.get_customer("acme", "1001").version == before
    assert injected["orphan"] in attached(stripe_api, injected["ref"])


def test_a_card_attached_moments_ago_is_left_for_a_later_run(
        runtime: Runtime, injected: dict[str, Any], stripe_api: stripe.StripeClient) -> None:
    """It may belong to an add-card command between its attach and its append."""
    summary = Reconciler(runtime.ledger).run()
    assert summary.left_for_later == 1
    assert injected["orphan"] in attached(stripe_api, injected["ref"])


def test_an_interrupted_run_resumes_after_the_last_customer_it_finished(
        runtime: Runtime, injected: dict[str, Any], stripe_api: stripe.StripeClient) -> None:
    runtime.ledger.add_card("acme", "1002", card_token(stripe_api, VISA),
                            by=Provenance("customer:1002", "portal"))
    runtime.projector.catch_up()

    def stop_after_first(done: int, total: int, customer: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Reconciler(runtime.ledger, progress=stop_after_first, grace=timedelta(0)).run()
    resumed = Reconciler(runtime.ledger, grace=timedelta(0)).run()
    assert resumed.resumed_after == ("acme", "1001")
    assert resumed.customers == 1 and resumed.changes == []


def test_the_command_prints_the_changes_and_a_summary(
        localstripe_url: str, tmp_path: Path, stripe_api: stripe.StripeClient) -> None:
    env = {**os.environ, "CARDLEDGER_DATA_DIR": str(tmp_path / "data"),
           "CARDLEDGER_PROCESSOR": "stripe", "CARDLEDGER_STRIPE_API_KEY": API_KEY,
           "CARDLEDGER_STRIPE_API_BASE": localstripe_url}
    settings = stripe_settings(localstripe_url, tmp_path / "data")
    with open_runtime(settings, run_projector=False) as rt:
        rt.ledger.set_online_payments("acme", True, ADMIN)
        card = rt.ledger.add_card("acme", "1001", card_token(stripe_api, VISA), by=ME).card_id
        token = rt.ledger.get_customer("acme", "1001").cards[card].processor_token
    stripe_api.v1.payment_methods.detach(token)
    run = subprocess.run([sys.executable, "-m", "entrypoints.cli", "reconcile", "--dry-run"],
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert f"(dry run) deleted: customer 1001 of acme, {card}: no longer attached" in run.stdout
    assert "dry run: 1 customers, 1 with a processor customer: 0 unsaved card(s) detached, " \
           "1 deleted, 0 updated" in run.stdout

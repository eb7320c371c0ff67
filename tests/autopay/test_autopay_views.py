"""Autopay in the views, on both stores: the history, the retry queue and the
expiring-cards report, and replay still equals the views."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cardledger.wiring import Runtime
from projections import autopay_views
from projections.verify import verify
from tests.autopay.support import COMPANY, CUSTOMER, charge, customer_with
from tests.builders import OFFICE, PORTAL
from tests.conftest import Clock

SOFT = "pm_card_chargeDeclinedInsufficientFunds"


def actions(runtime: Runtime) -> list[tuple[str, str, str, str]]:
    runtime.projector.catch_up()
    return [(e.action, e.actor, e.source, e.detail)
            for e in reversed(runtime.read_model.history(COMPANY, CUSTOMER))
            if "autopay" in e.action or "reminder" in e.action]


def test_history_shows_enrolment_charges_and_turning_off_with_who_and_where(
        runtime: Runtime) -> None:
    customer_with(runtime, SOFT, "pm_card_visa")
    charge(runtime)
    runtime.ledger.autopay.turn_off(COMPANY, CUSTOMER, by=PORTAL)
    seen = actions(runtime)
    assert [a[0] for a in seen] == ["autopay_settings_changed", "autopay_enabled",
                                    "autopay_attempt", "autopay_attempt", "autopay_charge",
                                    "autopay_disabled"]
    assert seen[1][1:3] == ("customer:1001", "portal")
    assert seen[2][3].endswith("declined, insufficient_funds")
    assert seen[4][1:3] == ("user:jdoe", "office")
    assert seen[4][3] == "invoice INV-1: 5000 usd, succeeded"
    assert seen[5][1:] == ("customer:1001", "portal", "turned-off")
    assert verify(runtime.ledger, runtime.read_model) == []


def test_a_scheduled_retry_is_queued_until_due_and_leaves_when_the_charge_ends(
        runtime: Runtime, clock: Clock) -> None:
    customer_with(runtime, SOFT, fallback=False, schedule=(1,))
    charge_id = charge(runtime).charge.charge_id
    runtime.projector.catch_up()
    db = runtime.read_model.db
    assert autopay_views.due_charges(db, clock.now.isoformat()) == []
    due_at = (clock.now + timedelta(days=1)).isoformat()
    assert [c.charge_id for c in autopay_views.due_charges(db, due_at)] == [charge_id]
    clock.now += timedelta(days=1)
    runtime.ledger.autopay.make_retry(COMPANY, CUSTOMER, charge_id)
    runtime.projector.catch_up()
    assert autopay_views.due_charges(db, "9999") == []
    assert verify(runtime.ledger, runtime.read_model) == []


def test_the_report_lists_cards_expiring_within_the_window_as_corrected_by_the_updater(
        runtime: Runtime, clock: Clock) -> None:
    cards = customer_with(runtime, "pm_card_visa", "pm_card_amex", "pm_card_mastercard")
    ledger = runtime.ledger
    # The account updater moves the visa's expiry to this month, the amex's to next month.
    for token, month, event in (("pm_card_visa", 11, "e1"), ("pm_card_amex", 12, "e2")):
        ledger.record_processor_update(f"cus_sandbox.{COMPANY}.{CUSTOMER}", token,
                                       last4="1234", exp_month=month, exp_year=2026,
                                       reason="expiry", event_id=event)
    runtime.projector.catch_up()
    db, today = runtime.read_model.db, clock.now.date()
    this_month, _ = autopay_views.expiring_cards(db, COMPANY, today, 5, limit=10)
    assert [(c.payment_method_id, c.autopay, c.is_primary) for c in this_month] == [
        (cards[0], True, True)]
    two_months, more = autopay_views.expiring_cards(db, COMPANY, today, 40, limit=10)
    assert [c.payment_method_id for c in two_months] == [cards[0], cards[1]] and not more
    first, more = autopay_views.expiring_cards(db, COMPANY, today, 40, limit=1)
    assert more
    rest, more = autopay_views.expiring_cards(db, COMPANY, today, 40, limit=1,
                                              after=first[0].cursor)
    assert [c.payment_method_id for c in rest] == [cards[1]] and not more
    ledger.delete_card(COMPANY, CUSTOMER, cards[1], by=OFFICE)
    runtime.projector.catch_up()
    assert [c.payment_method_id for c in autopay_views.expiring_cards(
        db, COMPANY, today, 40, limit=10)[0]] == [cards[0]]


def test_the_report_is_one_range_read_of_the_expiry_index(runtime: Runtime,
                                                          clock: Clock) -> None:
    customer_with(runtime, "pm_card_visa")
    runtime.projector.catch_up()
    db = runtime.read_model.db
    params = autopay_views.expiring_params(COMPANY, clock.now.date(), 30, 100)
    with db.transaction(commit=False) as tx:
        if db.postgres:  # a handful of rows: make the planner show what it does at scale
            tx.execute("SET LOCAL enable_seqscan = off")
        plan = " ".join(str(list(row.values())) for row in tx.execute(
            ("EXPLAIN " if db.postgres else "EXPLAIN QUERY PLAN ")
            + autopay_views.EXPIRING_CARDS, params).all())
    assert "cl_payment_methods_by_expiry" in plan, plan


def test_autopay_follows_the_primary_in_the_views_when_its_own_card_is_deleted(
        runtime: Runtime) -> None:
    # given autopay on the amex, the second card (the visa is primary)
    cards = customer_with(runtime, "pm_card_visa", "pm_card_amex", autopay_card=1)
    runtime.projector.catch_up()
    db = runtime.read_model.db
    row = "SELECT enabled, card_id FROM cl_autopay WHERE customer_id = :cu"
    assert [(bool(r["enabled"]), r["card_id"]) for r in db.read(row, {"cu": CUSTOMER})] == [
        (True, cards[1])]
    # when the office deletes the amex anyway
    runtime.ledger.delete_card(COMPANY, CUSTOMER, cards[1], by=OFFICE, force=True)
    runtime.projector.catch_up()
    # then autopay stays on, following the primary (no card of its own)
    assert [(bool(r["enabled"]), r["card_id"]) for r in db.read(row, {"cu": CUSTOMER})] == [
        (True, None)]
    assert verify(runtime.ledger, runtime.read_model) == []


@pytest.mark.parametrize(("autopay_card", "charged"), [(None, 0), (1, 1), (2, 2)],
                         ids=["follows-the-primary", "on-the-amex", "on-the-mastercard"])
def test_the_report_marks_autopay_on_the_one_card_autopay_charges(
        runtime: Runtime, clock: Clock, autopay_card: int | None, charged: int) -> None:
    # given three cards expiring this month (the visa primary), and autopay
    # following the primary or on one card of its own
    tokens = ("pm_card_visa", "pm_card_amex", "pm_card_mastercard")
    cards = customer_with(runtime, *tokens, autopay_card=autopay_card)
    for n, token in enumerate(tokens):
        runtime.ledger.record_processor_update(f"cus_sandbox.{COMPANY}.{CUSTOMER}", token,
                                               last4="1234", exp_month=11, exp_year=2026,
                                               reason="expiry", event_id=f"e{n}")
    runtime.projector.catch_up()
    # when the report is read
    listed, _ = autopay_views.expiring_cards(runtime.read_model.db, COMPANY, clock.now.date(),
                                             5, limit=10)
    # then autopay is marked on that card alone
    assert {c.payment_method_id: c.autopay for c in listed} == {
        card: n == charged for n, card in enumerate(cards)}

"""Paying invoices through the application service, with the sandbox
processor, on SQLite and PostgreSQL. Given a customer with saved cards, when
an invoice is paid (or the payment retried), then these events and charges."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.wiring import Runtime
from domain.errors import (
    CardAlreadyDeleted,
    CustomerNotFound,
    IdempotencyKeyReused,
    InvalidAmount,
    InvalidCommand,
    InvoiceAlreadyPaid,
    NoPrimaryCard,
    NoSuchCard,
    OnlinePaymentsDisabled,
    PaymentInProgress,
)
from domain.processor import DECLINE_CODES, ChargeResult
from domain.provenance import Provenance
from projections.verify import verify
from tests.conftest import Clock
from tests.payments.faults import (
    CountingCharges,
    CrashAfterCharge,
    CrashBeforeCharge,
    SimulatedCrash,
    SlowCharges,
)

ME = Provenance("customer:1001", "portal")
ADMIN = Provenance("user:admin", "admin")
DECLINING = {
    "generic_decline": "pm_card_chargeDeclined",
    "insufficient_funds": "pm_card_chargeDeclinedInsufficientFunds",
    "expired_card": "pm_card_chargeDeclinedExpiredCard",
    "authentication_required": "pm_card_authenticationRequired",
    "processing_error": "pm_card_chargeDeclinedProcessingError",
}


@pytest.fixture
def sandbox(runtime: Runtime) -> SandboxProcessor:
    return runtime.ledger.processor  # type: ignore[return-value]


@pytest.fixture
def cards(runtime: Runtime) -> dict[str, str]:
    """Given online payments on and a customer with a Visa (primary) and an Amex."""
    ledger = runtime.ledger
    ledger.set_online_payments("acme", True, ADMIN)
    visa = ledger.add_card("acme", "1001", "pm_card_visa", by=ME).card_id
    amex = ledger.add_card("acme", "1001", "pm_card_amex", by=ME).card_id
    assert visa and amex
    return {"visa": visa, "amex": amex}


def pay(runtime: Runtime, key: str | None = "key-1", **overrides: Any) -> Any:
    request: dict[str, Any] = {"invoice_id": "INV-7", "amount": 12_50, "currency": "usd"}
    request.update(overrides)
    return runtime.ledger.pay_invoice("acme", "1001", by=ME, idempotency_key=key, **request)


def new_events(runtime: Runtime, since: int) -> list[str]:
    return [type(e).__name__ for e in runtime.ledger.customer_events("acme", "1001")[since:]]


def version(runtime: Runtime) -> int:
    return runtime.ledger.get_customer("acme", "1001").version


def test_an_invoice_is_paid_with_the_primary_card_by_default(
        runtime: Runtime, cards: dict[str, str], sandbox: SandboxProcessor) -> None:
    before = version(runtime)
    outcome = pay(runtime)
    assert new_events(runtime, before) == ["PaymentStarted", "PaymentSucceeded"]
    assert outcome.payment.card_id == cards["visa"] and outcome.payment.status == "succeeded"
    assert outcome.payment.processor_payment_id == sandbox.attempts[0].processor_payment_id
    assert (outcome.replayed, outcome.position is not None) == (False, True)


def test_an_invoice_is_paid_with_the_chosen_card(
        runtime: Runtime, cards: dict[str, str]) -> None:
    outcome = pay(runtime, card_id=cards["amex"])
    assert outcome.payment.card_id == cards["amex"] and outcome.payment.status == "succeeded"


@pytest.mark.parametrize("code", DECLINE_CODES)
def test_a_declined_charge_is_recorded_as_failed_with_its_stable_code(
        runtime: Runtime, cards: dict[str, str], code: str) -> None:
    card_id = runtime.ledger.add_card("acme", "1001", DECLINING[code], by=ME).card_id
    before = version(runtime)
    outcome = pay(runtime, card_id=card_id)
    assert new_events(runtime, before) == ["PaymentStarted", "PaymentFailed"]
    assert (outcome.payment.status, outcome.payment.decline_code) == ("failed", code)


def test_a_retried_payment_answers_the_first_result_and_charges_once(
        runtime: Runtime, cards: dict[str, str], sandbox: SandboxProcessor) -> None:
    counting = runtime.ledger.processor = CountingCharges(sandbox)
    first = pay(runtime)
    before = version(runtime)
    again = pay(runtime)
    assert again.payment == first.payment and again.replayed
    assert new_events(runtime, before) == []
    assert counting.asked == 1


def test_a_retried_declined_payment_is_not_charged_again(
        runtime: Runtime, cards: dict[str, str], sandbox: SandboxProcessor) -> None:
    card_id = runtime.ledger.add_card("acme", "1001", "pm_card_chargeDeclined", by=ME).card_id
    counting = runtime.ledger.processor = CountingCharges(sandbox)
    pay(runtime, card_id=card_id)
    again = pay(runtime, card_id=card_id)
    assert (again.payment.status, again.replayed) == ("failed", True)
    assert counting.asked == 1


def test_a_new_key_pays_another_invoice(runtime: Runtime, cards: dict[str, str],
                                        sandbox: SandboxProcessor) -> None:
    pay(runtime, key="key-1", invoice_id="INV-1")
    pay(runtime, key="key-2", invoice_id="INV-2")
    assert len(sandbox.attempts) == 2


def test_a_paid_invoice_under_a_new_key_is_refused_and_nothing_is_charged(
        runtime: Runtime, cards: dict[str, str], sandbox: SandboxProcessor) -> None:
    pay(runtime, key="key-1")
    before = version(runtime)
    with pytest.raises(InvoiceAlreadyPaid):
        pay(runtime, key="key-2")
    assert new_events(runtime, before) == [] and len(sandbox.attempts) == 1


def test_an_invoice_whose_charge_was_declined_is_paid_under_a_new_key(
        runtime: Runtime, cards: dict[str, str], sandbox: SandboxProcessor) -> None:
    declining = runtime.ledger.add_card("acme", "1001", "pm_card_chargeDeclined", by=ME).card_id
    assert pay(runtime, key="key-1", card_id=declining).payment.status == "failed"
    assert pay(runtime, key="key-2").payment.status == "succeeded"
    assert [a.succeeded for a in sandbox.attempts] == [False, True]


def test_an_additional_payment_pays_a_paid_invoice_again(
        runtime: Runtime, cards: dict[str, str], sandbox: SandboxProcessor) -> None:
    first = pay(runtime, key="key-1").payment
    extra = pay(runtime, key="key-2", amount=5_00, additional=True).payment
    assert (first.additional, extra.additional, extra.status) == (False, True, "succeeded")
    assert len(sandbox.attempts) == 2


def test_an_additional_payment_retried_answers_itself_and_charges_once(
        runtime: Runtime, cards: dict[str, str], sandbox: SandboxProcessor) -> None:
    pay(runtime, key="key-1")
    counting = runtime.ledger.processor = CountingCharges(sandbox)
    extra = pay(runtime, key="key-2", additional=True)
    again = pay(runtime, key="key-2", additional=True)
    assert again.replayed and again.payment == extra.payment and counting.asked == 1


def test_the_same_key_without_additional_is_another_request(
        runtime: Runtime, cards: dict[str, str]) -> None:
    pay(runtime, key="key-1", additional=True)
    with pytest.raises(IdempotencyKeyReused):
        pay(runtime, key="key-1")


def test_new_keys_racing_for_one_invoice_charge_it_once(
        runtime: Runtime, cards: dict[str, str], sandbox: SandboxProcessor) -> None:
    counting = runtime.ledger.processor = SlowCharges(sandbox)

    def attempt(n: int) -> str:
        try:
            return pay(runtime, key=f"double-click-{n}").payment.status
        except InvoiceAlreadyPaid:
            return "refused"

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = sorted(pool.map(attempt, range(6)))
    assert answers == ["refused"] * 5 + ["succeeded"]
    assert counting.asked == 1


def test_the_same_key_for_a_different_payment_is_refused(
        runtime: Runtime, cards: dict[str, str], sandbox: SandboxProcessor) -> None:
    counting = runtime.ledger.processor = CountingCharges(sandbox)
    pay(runtime)
    with pytest.raises(IdempotencyKeyReused):
        pay(runtime, amount=99_00)
    assert counting.asked == 1


def test_a_payment_without_a_key_is_refused(runtime: Runtime, cards: dict[str, str]) -> None:
    before = version(runtime)
    with pytest.raises(InvalidCommand, match="Idempotency-Key"):
        pay(runtime, key=None)
    assert new_events(runtime, before) == []


@pytest.mark.parametrize(("field", "value"), [
    ("amount", 0), ("amount", -5), ("amount", 12.5), ("amount", True), ("amount", "1250"),
    ("currency", "USD"), ("currency", "us"), ("currency", "dollars"),
    ("invoice_id", ""), ("invoice_id", "INV 7"),
])
def test_a_malformed_payment_is_refused_and_nothing_is_recorded(
        runtime: Runtime, cards: dict[str, str], field: str, value: Any) -> None:
    before = version(runtime)
    with pytest.raises(InvalidCommand):
        pay(runtime, **{field: value})
    assert new_events(runtime, before) == []


def test_without_a_primary_card_a_card_must_be_chosen(runtime: Runtime) -> None:
    runtime.ledger.set_online_payments("acme", True, ADMIN)
    card_id = runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME).card_id
    runtime.ledger.delete_card("acme", "1001", card_id or "", by=ME)
    with pytest.raises(NoPrimaryCard):
        pay(runtime)


def test_no_invoice_can_be_paid_while_online_payments_are_off(
        runtime: Runtime, cards: dict[str, str], sandbox: SandboxProcessor) -> None:
    runtime.ledger.set_online_payments("acme", False, ADMIN)
    before = version(runtime)
    with pytest.raises(OnlinePaymentsDisabled):
        pay(runtime)
    assert new_events(runtime, before) == [] and sandbox.attempts == []


def test_paying_with_an_unknown_card_is_not_found(runtime: Runtime, cards: dict[str, str]) -> None:
    with pytest.raises(NoSuchCard):
        pay(runtime, card_id="card_unknown")


def test_paying_for_an_unknown_customer_is_not_found(runtime: Runtime) -> None:
    with pytest.raises(CustomerNotFound):
        pay(runtime)


def test_a_crash_after_the_charge_is_recovered_from_the_processor_without_a_second_charge(
        runtime: Runtime, cards: dict[str, str], sandbox: SandboxProcessor) -> None:
    runtime.ledger.processor = CrashAfterCharge(sandbox)
    with pytest.raises(SimulatedCrash):
        pay(runtime)
    before = version(runtime)
    restarted = runtime.ledger.processor = CountingCharges(sandbox)
    outcome = pay(runtime)
    assert new_events(runtime, before) == ["PaymentSucceeded"]
    assert outcome.payment.processor_payment_id == sandbox.attempts[0].processor_payment_id
    assert restarted.asked == 0 and len(sandbox.attempts) == 1


def test_a_retry_while_the_first_attempt_may_still_be_charging_is_told_to_wait(
        runtime: Runtime, cards: dict[str, str], sandbox: SandboxProcessor) -> None:
    runtime.ledger.processor = CrashBeforeCharge(sandbox)
    with pytest.raises(SimulatedCrash):
        pay(runtime)
    runtime.ledger.processor = sandbox
    before = version(runtime)
    with pytest.raises(PaymentInProgress) as waiting:
        pay(runtime)
    assert 1 <= waiting.value.retry_after <= 61
    assert new_events(runtime, before) == [] and sandbox.attempts == []


def test_a_retry_after_the_in_flight_window_charges_an_attempt_that_never_reached_the_processor(
        runtime: Runtime, cards: dict[str, str], sandbox: SandboxProcessor, clock: Clock) -> None:
    runtime.ledger.processor = CrashBeforeCharge(sandbox)
    with pytest.raises(SimulatedCrash):
        pay(runtime)
    restarted = runtime.ledger.processor = CountingCharges(sandbox)
    clock.now += timedelta(seconds=61)
    outcome = pay(runtime)
    assert outcome.payment.status == "succeeded" and restarted.asked == 1


def test_an_amount_the_processor_refuses_outright_ends_the_payment_uncharged(
        runtime: Runtime, cards: dict[str, str], sandbox: SandboxProcessor) -> None:
    class RefusesTheAmount(CountingCharges):  # e.g. under Stripe's minimum after conversion
        def charge(self, *args: Any, **kwargs: Any) -> ChargeResult:
            self.asked += 1
            raise InvalidAmount("Amount must convert to at least 50 cents")

    refusing = runtime.ledger.processor = RefusesTheAmount(sandbox)
    before = version(runtime)
    outcome = pay(runtime, key="key-1", currency="idr", amount=100)
    assert new_events(runtime, before) == ["PaymentStarted", "PaymentFailed"]
    assert (outcome.payment.status, outcome.payment.decline_code) == ("failed", "invalid-amount")
    assert refusing.asked == 1 and pay(runtime, key="key-1", currency="idr",
                                       amount=100).payment == outcome.payment
    runtime.ledger.processor = sandbox  # the invoice is not held: a larger amount pays it
    assert pay(runtime, key="key-2", currency="idr", amount=1_000_000).payment.status == \
        "succeeded"


def test_payments_are_listed_newest_first(runtime: Runtime, cards: dict[str, str]) -> None:
    pay(runtime, key="key-1", invoice_id="INV-1")
    pay(runtime, key="key-2", invoice_id="INV-2", card_id=cards["amex"])
    listed = runtime.ledger.payments("acme", "1001")
    assert [(p.invoice_id, p.card_id, p.status) for p in listed] == [
        ("INV-2", cards["amex"], "succeeded"), ("INV-1", cards["visa"], "succeeded")]


def test_payments_show_in_the_history_and_the_views_still_verify(
        runtime: Runtime, cards: dict[str, str]) -> None:
    pay(runtime, key="key-1")
    declined = runtime.ledger.add_card("acme", "1001", "pm_card_chargeDeclined", by=ME).card_id
    pay(runtime, key="key-2", card_id=declined, invoice_id="INV-8")
    runtime.projector.catch_up()
    history = runtime.read_model.history("acme", "1001")
    assert [(h.action, h.last4, h.detail) for h in history[:3]] == [
        ("payment_failed", "0341", "invoice INV-8: 1250 usd, generic_decline"),
        ("added", "0341", ""),
        ("payment_succeeded", "4242", "invoice INV-7: 1250 usd"),
    ]
    assert verify(runtime.ledger, runtime.read_model) == []


def test_a_customer_loaded_from_a_snapshot_keeps_its_payments(
        runtime: Runtime, cards: dict[str, str]) -> None:
    paid = pay(runtime).payment
    for _ in range(25):  # 50 more events: past the snapshot interval
        runtime.ledger.set_primary("acme", "1001", cards["amex"], by=ME)
        runtime.ledger.set_primary("acme", "1001", cards["visa"], by=ME)
    customer = runtime.ledger.get_customer("acme", "1001")
    assert runtime.ledger.snapshots is not None
    assert list(runtime.ledger.snapshots.get(customer.id))
    assert customer.payments == {paid.payment_id: paid}


def test_a_retry_never_charges_a_card_deleted_since_the_payment_started(
        runtime: Runtime, cards: dict[str, str], sandbox: SandboxProcessor, clock: Clock) -> None:
    runtime.ledger.processor = CrashBeforeCharge(sandbox)
    with pytest.raises(SimulatedCrash):
        pay(runtime)
    restarted = runtime.ledger.processor = CountingCharges(sandbox)
    runtime.ledger.delete_card("acme", "1001", cards["visa"], by=ME)
    clock.now += timedelta(seconds=61)
    with pytest.raises(CardAlreadyDeleted):
        pay(runtime)
    assert restarted.asked == 0


def test_simultaneous_requests_with_one_key_charge_once(
        runtime: Runtime, cards: dict[str, str], sandbox: SandboxProcessor) -> None:
    counting = runtime.ledger.processor = SlowCharges(sandbox)

    def attempt(_: int) -> str:
        try:
            return pay(runtime).payment.status
        except PaymentInProgress:
            return "in-progress"

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(attempt, range(8)))
    assert counting.asked == 1
    assert set(answers) <= {"succeeded", "in-progress"} and "succeeded" in answers
    assert [p.status for p in runtime.ledger.payments("acme", "1001")] == ["succeeded"]

"""Paying invoices with saved cards: a retried payment never charges twice.

The guarantee holds even if the process dies between the processor's answer
and the append of the outcome, and without the processor honouring
idempotency keys:

1. ``PaymentStarted`` (payment id derived from the caller's Idempotency-Key)
   is appended *before* the processor is called.
2. The charge carries the payment id in the processor's metadata (and an
   idempotency key derived from it, a second guard where the processor honours
   it).
3. A retry that finds its payment started but not finished first asks the
   processor whether it charged for that payment id (``find_charge``) and
   records that answer. It charges only when the processor has no charge for
   the payment *and* the attempt's in-flight window has passed: before that,
   the first request may still be about to charge, so the retry is told to
   come back later (PaymentInProgress).

Whether a charge is sent at all is decided by the online-payments switch, read
from the store after ``PaymentStarted`` and right before each charge (first
attempt or retry); off, the payment fails uncharged with the code
``online-payments-disabled``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain.commands import PayInvoice, Receipt, Stamp
from domain.customer import Customer
from domain.errors import (
    IdempotencyKeyReused,
    InvalidAmount,
    InvalidCommand,
    OnlinePaymentsDisabled,
    PaymentInProgress,
)
from domain.ids import check_external_id, request_hash
from domain.outcomes import PaymentOutcome
from domain.payments import Payment, check_chargeable, check_payment_request, payment_id_for
from domain.processor import ChargeResult
from domain.retry import retry_on_conflict

if TYPE_CHECKING:
    from domain.ledger_port import Ledger

__all__ = ["InvoicePayments", "PaymentOutcome"]


class InvoicePayments:
    """The payment flow of a CardLedger: start (recorded), send, record the
    outcome. Uses only the ledger's public calls (load, save, the switch)."""

    # Longer than one processor call can take (its timeout, no SDK retries),
    # so a retry inside the window cannot overtake a charge still in flight.
    in_flight = timedelta(seconds=60)

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def pay(self, command: PayInvoice, stamp: Stamp) -> PaymentOutcome:
        """Charges the named saved card, or the primary one. ``additional``: the
        invoice may already be paid (or being paid) and is to be paid again."""
        check_external_id(command.company_id, "company id")
        check_external_id(command.customer_id, "customer id")
        key = check_payment_request(command.invoice_id, command.amount, command.currency,
                                    stamp.idempotency_key)
        if not isinstance(command.additional, bool):
            raise InvalidCommand("additional must be true or false")
        if command.card_id is not None:
            check_external_id(command.card_id, "payment method id")
        receipt = Receipt(stamp.by, key, request_hash(*command.request()))
        started = retry_on_conflict(lambda: self._start(command, receipt))
        if isinstance(started, PaymentOutcome):
            return started
        customer, payment = started
        return self._send(customer, payment, receipt, replayed=False)

    # --- the steps ---------------------------------------------------------------

    def _start(self, command: PayInvoice,
               receipt: Receipt) -> tuple[Customer, Payment] | PaymentOutcome:
        """Records PaymentStarted; a retry of the request resumes instead."""
        ledger = self.ledger
        customer = ledger.get_customer(command.company_id, command.customer_id)
        customer.check_not_erased()
        key = receipt.idempotency_key
        assert key is not None  # check_payment_request made sure
        payment_id = payment_id_for(command.company_id, command.customer_id, key)
        started = customer.payments.get(payment_id)
        if customer.recall(key, receipt.request_hash or "") is not None:  # raises if different
            return self._resume(customer, customer.payments[payment_id], receipt)
        if started is not None:  # a retry whose receipt expired: the payment remains
            if not started.answers(command.invoice_id, command.amount, command.currency,
                                   command.card_id, command.additional):
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was used for a different payment")
            return self._resume(customer, started, receipt)
        check_chargeable(command.amount, command.currency, ledger.processor.currencies)
        now = ledger.clock()
        payment = customer.start_payment(
            payment_id, invoice_id=command.invoice_id, amount=command.amount,
            currency=command.currency, card_id=command.card_id, additional=command.additional,
            online_payments=ledger.online_payments_enabled(command.company_id),
            today=now.date(), in_flight_until=now + self.in_flight, **receipt.fields())
        ledger.save(customer)
        return customer, payment

    def _resume(self, customer: Customer, payment: Payment,
                receipt: Receipt) -> PaymentOutcome:
        """A retry: the recorded outcome, or the processor's, or (only once the
        first attempt can no longer be in flight) a charge."""
        if payment.finished:
            return PaymentOutcome(payment, customer.version, None, replayed=True)
        processor = self.ledger.processor
        found = processor.find_charge(payment.payment_id, customer.processor_customer_id)
        if found is not None:  # money moved (or was declined) before: record it, whatever now
            return self._finish(customer, payment, found, receipt, replayed=True)
        wait = datetime.fromisoformat(payment.in_flight_until) - self.ledger.clock()
        if wait > timedelta(0):
            raise PaymentInProgress(
                "The first request for this payment may still be charging; retry later",
                retry_after=max(1, int(wait.total_seconds()) + 1))
        # Nothing was charged yet; a card deleted since is not charged now.
        customer.active_card(payment.card_id)
        return self._send(customer, payment, receipt, replayed=True)

    def _send(self, customer: Customer, payment: Payment, receipt: Receipt, *,
              replayed: bool) -> PaymentOutcome:
        """Charges, unless online payments were switched off since the payment
        started. The switch is read from the store after PaymentStarted was
        appended and right before the processor is called: that read is the
        charge's linearisation point. A switch-off that commits after it does
        not stop the charge (docs/payments-rules.md)."""
        if not self.ledger.online_payments_enabled(customer.company_id):
            return self._stop(customer, payment, OnlinePaymentsDisabled.code, receipt,
                              replayed=replayed)
        try:
            result = self.ledger.processor.charge(
                payment.processor_token, payment.amount, payment.currency, payment.invoice_id,
                idempotency_key=f"cardledger-{payment.payment_id}",
                customer_ref=customer.processor_customer_id, attempt_id=payment.payment_id)
        except InvalidAmount as refused:
            # Refused outright, nothing charged (e.g. under Stripe's minimum at the
            # day's exchange rate, which no table here can know): end the attempt
            # rather than leave it started, holding its invoice.
            return self._stop(customer, payment, refused.code, receipt, replayed=replayed)
        return self._finish(customer, payment, result, receipt, replayed=replayed)

    def _finish(self, customer: Customer, payment: Payment, result: ChargeResult,
                receipt: Receipt, *, replayed: bool) -> PaymentOutcome:
        return self._record_outcome(customer, replayed, lambda current: (
            current.finish_payment(payment.payment_id, result, **receipt.fields())))

    def _stop(self, customer: Customer, payment: Payment, reason: str, receipt: Receipt, *,
              replayed: bool) -> PaymentOutcome:
        return self._record_outcome(customer, replayed, lambda current: (
            current.stop_payment(payment.payment_id, reason=reason, **receipt.fields())))

    def _record_outcome(self, customer: Customer, replayed: bool,
                        outcome: Callable[[Customer], Payment]) -> PaymentOutcome:
        """Appends the payment's outcome under the request's key and hash; a
        racing retry that recorded one first wins. The first attempt uses the
        customer in hand; a retry loads it afresh."""
        attempts = iter([customer])

        def step() -> PaymentOutcome:
            current = next(attempts, None) or self.ledger.get_customer(
                customer.company_id, customer.customer_id)
            finished = outcome(current)
            recordings = self.ledger.save(current)
            position = recordings[-1].notification.id if recordings else None
            return PaymentOutcome(finished, current.version, position, replayed)

        return retry_on_conflict(step)

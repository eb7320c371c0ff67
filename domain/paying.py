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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain.customer import Customer
from domain.errors import (
    CustomerNotFound,
    IdempotencyKeyReused,
    InvalidAmount,
    InvalidCommand,
    OnlinePaymentsDisabled,
    PaymentInProgress,
)
from domain.ids import check_external_id
from domain.payments import (
    Payment,
    check_chargeable,
    check_payment_request,
    payment_id_for,
    payment_request_hash,
)
from domain.processor import ChargeResult, Processor
from domain.provenance import Provenance
from domain.retry import retry_on_conflict


@dataclass(frozen=True)
class PaymentOutcome:
    """``replayed``: this call did not start the payment (a retry)."""

    payment: Payment
    version: int
    position: int | None
    replayed: bool = False


class InvoicePayments:
    """The payment commands of CardLedger (mixed into it; uses its processor,
    clock, repository and retry helpers)."""

    processor: Processor
    clock: Callable[[], datetime]
    if TYPE_CHECKING:  # provided by CardLedger and the library's Application
        def save(self, *aggregates: Any) -> Any: ...
        def get_customer(self, company_id: str, customer_id: str) -> Customer: ...
        def online_payments_enabled(self, company_id: str) -> bool: ...
        def _customer_or_none(self, company_id: str, customer_id: str) -> Customer | None: ...
    # Longer than one processor call can take (its timeout, no SDK retries),
    # so a retry inside the window cannot overtake a charge still in flight.
    payment_in_flight = timedelta(seconds=60)

    def pay_invoice(
        self,
        company_id: str,
        customer_id: str,
        *,
        invoice_id: str,
        amount: int,
        currency: str,
        card_id: str | None = None,
        additional: bool = False,
        by: Provenance,
        idempotency_key: str | None,
    ) -> PaymentOutcome:
        """Charges the named saved card, or the primary one. ``additional``: the
        invoice may already be paid (or being paid) and is to be paid again."""
        check_external_id(company_id, "company id")
        check_external_id(customer_id, "customer id")
        key = check_payment_request(invoice_id, amount, currency, idempotency_key)
        if not isinstance(additional, bool):
            raise InvalidCommand("additional must be true or false")
        if card_id is not None:
            check_external_id(card_id, "payment method id")
        digest = payment_request_hash(invoice_id, amount, currency, card_id, additional)
        payment_id = payment_id_for(company_id, customer_id, key)

        def step() -> tuple[Customer, Payment] | PaymentOutcome:
            """Records PaymentStarted; a retry of the request resumes instead."""
            customer = self._customer_or_none(company_id, customer_id)
            if customer is None:
                raise CustomerNotFound(f"No customer {customer_id} in company {company_id}")
            started = customer.payments.get(payment_id)
            if customer.recall(key, digest) is not None:  # raises for a different request
                return self._resume(customer, customer.payments[payment_id], by, (key, digest))
            if started is not None:  # a retry whose receipt expired: the payment remains
                if not started.answers(invoice_id, amount, currency, card_id, additional):
                    raise IdempotencyKeyReused(
                        "This Idempotency-Key was used for a different payment")
                return self._resume(customer, started, by, (key, digest))
            check_chargeable(amount, currency, self.processor.currencies)
            now = self.clock()
            payment = customer.start_payment(
                payment_id, invoice_id=invoice_id, amount=amount, currency=currency,
                card_id=card_id, additional=additional,
                online_payments=self.online_payments_enabled(company_id),
                today=now.date(), in_flight_until=now + self.payment_in_flight,
                by=by, idempotency_key=key, request_hash=digest)
            self.save(customer)
            return customer, payment

        started = retry_on_conflict(step)
        if isinstance(started, PaymentOutcome):
            return started
        customer, payment = started
        return self._send(customer, payment, by, (key, digest), replayed=False)

    def payments(self, company_id: str, customer_id: str) -> list[Payment]:
        """The customer's payments, newest first, from the events."""
        customer = self.get_customer(company_id, customer_id)
        return list(reversed(customer.payments.values()))

    # --- internals ---------------------------------------------------------------

    def _resume(self, customer: Customer, payment: Payment, by: Provenance,
                request: tuple[str, str]) -> PaymentOutcome:
        """A retry: the recorded outcome, or the processor's, or (only once the
        first attempt can no longer be in flight) a charge."""
        if payment.finished:
            return PaymentOutcome(payment, customer.version, None, replayed=True)
        found = self.processor.find_charge(payment.payment_id, customer.processor_customer_id)
        if found is not None:  # money moved (or was declined) before: record it, whatever now
            return self._finish(customer, payment, found, by, request, replayed=True)
        wait = datetime.fromisoformat(payment.in_flight_until) - self.clock()
        if wait > timedelta(0):
            raise PaymentInProgress(
                "The first request for this payment may still be charging; retry later",
                retry_after=max(1, int(wait.total_seconds()) + 1))
        # Nothing was charged yet; a card deleted since is not charged now.
        customer.active_card(payment.card_id)
        return self._send(customer, payment, by, request, replayed=True)

    def _send(self, customer: Customer, payment: Payment, by: Provenance,
              request: tuple[str, str], *, replayed: bool) -> PaymentOutcome:
        """Charges, unless online payments were switched off since the payment
        started. The switch is read from the store after PaymentStarted was
        appended and right before the processor is called: that read is the
        charge's linearisation point. A switch-off that commits after it does
        not stop the charge (docs/payments-rules.md)."""
        if not self.online_payments_enabled(customer.company_id):
            return self._stop(customer, payment, OnlinePaymentsDisabled.code, by, request,
                              replayed=replayed)
        try:
            result = self.processor.charge(
                payment.processor_token, payment.amount, payment.currency, payment.invoice_id,
                idempotency_key=f"cardledger-{payment.payment_id}",
                customer_ref=customer.processor_customer_id, attempt_id=payment.payment_id)
        except InvalidAmount as refused:
            # Refused outright, nothing charged (e.g. under Stripe's minimum at the
            # day's exchange rate, which no table here can know): end the attempt
            # rather than leave it started, holding its invoice.
            return self._stop(customer, payment, refused.code, by, request, replayed=replayed)
        return self._finish(customer, payment, result, by, request, replayed=replayed)

    def _finish(self, customer: Customer, payment: Payment, result: ChargeResult,
                by: Provenance, request: tuple[str, str], *, replayed: bool) -> PaymentOutcome:
        return self._record_outcome(customer, replayed, lambda current: (
            current.finish_payment(payment.payment_id, result, by=by,
                                   idempotency_key=request[0], request_hash=request[1])))

    def _stop(self, customer: Customer, payment: Payment, reason: str, by: Provenance,
              request: tuple[str, str], *, replayed: bool) -> PaymentOutcome:
        return self._record_outcome(customer, replayed, lambda current: (
            current.stop_payment(payment.payment_id, reason=reason, by=by,
                                 idempotency_key=request[0], request_hash=request[1])))

    def _record_outcome(self, customer: Customer, replayed: bool,
                        outcome: Callable[[Customer], Payment]) -> PaymentOutcome:
        """Appends the payment's outcome under the request's key and hash; a
        racing retry that recorded one first wins."""
        loaded = [customer]  # the first attempt uses the customer in hand

        def step() -> PaymentOutcome:
            current = loaded.pop() if loaded else self.get_customer(
                customer.company_id, customer.customer_id)
            finished = outcome(current)
            recordings = self.save(current)
            position = recordings[-1].notification.id if recordings else None
            return PaymentOutcome(finished, current.version, position, replayed)

        return retry_on_conflict(step)

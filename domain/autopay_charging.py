"""Merchant-initiated autopay charges, with fallback cards and scheduled retries.

The never-charge-twice guarantee of invoice payments (domain/paying.py),
per attempt:

1. ``AutopayAttemptStarted`` (attempt id derived from the charge id, itself
   derived from the office's Idempotency-Key) is appended before the card is
   charged; only the process whose append won may send that attempt.
2. The charge carries the attempt id (processor metadata, and a processor
   idempotency key derived from it).
3. Anyone else finding the attempt open asks the processor first
   (``find_charge``) and records its answer. Once the attempt's in-flight
   window has passed with no charge at the processor, it takes the attempt
   over by appending ``AutopayAttemptTakenOver``; of two workers racing, one
   append wins and the other is told the attempt is in progress.

A round of attempts: the autopay card first ("autopay"), then with fallback
on the customer's other unexpired cards, primary first then newest
("fallback"). A round ending with a soft decline and a retry left in the
company's schedule is ``retry_scheduled``; ``cardledger autopay-retry`` makes
due retries (``make_retry``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from domain.autopay import AutopaySettings, autopay_of, charges_of
from domain.autopay_charge import AutopayAttempt, AutopayCharge, attempt_id_for, charge_id_for
from domain.autopay_events import (
    AutopayAttemptFinished,
    AutopayAttemptStarted,
    AutopayAttemptTakenOver,
    AutopayChargeSettled,
    AutopayChargeStarted,
    AutopayRetryStarted,
)
from domain.cards import SavedCard
from domain.commands import ChargeAutopay, Receipt, Stamp
from domain.customer import Customer
from domain.errors import (
    AutopayNotEnabled,
    IdempotencyKeyReused,
    InvalidAmount,
    InvoiceAlreadyPaid,
    NoPrimaryCard,
    OnlinePaymentsDisabled,
    PaymentInProgress,
    UnknownToken,
)
from domain.ids import check_external_id, request_hash
from domain.payments import check_chargeable, check_payment_request
from domain.processor import DECLINE_CODES, ChargeResult
from domain.provenance import Provenance
from domain.retry import retry_on_conflict

if TYPE_CHECKING:
    from domain.ledger_port import Ledger

T = TypeVar("T")
RETRY_WORKER = Provenance("system:autopay-retry", "scheduler")


@dataclass(frozen=True)
class AutopayOutcome:
    charge: AutopayCharge
    version: int
    replayed: bool = False  # this call did not start the charge


class AutopayCharges:
    # As for invoice payments: longer than one processor call can take.
    in_flight = timedelta(seconds=60)

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    # --- the two ways in -------------------------------------------------------------

    def charge(self, command: ChargeAutopay, stamp: Stamp) -> AutopayOutcome:
        check_external_id(command.company_id, "company id")
        check_external_id(command.customer_id, "customer id")
        key = check_payment_request(command.invoice_id, command.amount, command.currency,
                                    stamp.idempotency_key)
        receipt = Receipt(stamp.by, key, request_hash(*command.request()))
        charge_id = charge_id_for(command.company_id, command.customer_id, key)
        mine: set[str] = set()
        started = retry_on_conflict(lambda: self._start(command, charge_id, receipt, mine))
        return self._drive(command.company_id, command.customer_id, charge_id, receipt, mine,
                           replayed=not started)

    def make_retry(self, company_id: str, customer_id: str, charge_id: str,
                   by: Provenance = RETRY_WORKER) -> AutopayOutcome | None:
        """Makes the charge's retry if it is due, or resumes a round whose
        sender went quiet; None when there is nothing to do (settled, not due)."""
        receipt = Receipt(by, None, None)

        def start() -> bool:
            customer = self.ledger.get_customer(company_id, customer_id)
            charge = charges_of(customer).get(charge_id)
            if charge is None or charge.status in ("succeeded", "failed"):
                return False
            if charge.status == "retry_scheduled":
                assert charge.next_retry_at is not None
                if datetime.fromisoformat(charge.next_retry_at) > self.ledger.clock():
                    return False
                customer.trigger_event(AutopayRetryStarted, charge_id=charge_id,
                                       round=charge.round + 1,
                                       **customer._stamp(**receipt.fields()))
                self.ledger.save(customer)
            return True

        if not retry_on_conflict(start):
            return None
        return self._drive(company_id, customer_id, charge_id, receipt, set(), replayed=False)

    # --- the steps -------------------------------------------------------------------

    def _start(self, command: ChargeAutopay, charge_id: str, receipt: Receipt,
               mine: set[str]) -> bool:
        """Records the charge and its first attempt; False: a retry of the request."""
        ledger = self.ledger
        customer = ledger.get_customer(command.company_id, command.customer_id)
        customer.check_not_erased()
        existing = charges_of(customer).get(charge_id)
        if existing is not None:
            if existing.request_hash != receipt.request_hash:
                raise IdempotencyKeyReused("This Idempotency-Key was used for a different charge")
            return False
        current = autopay_of(customer)
        if not current.enabled or current.consent is None:
            raise AutopayNotEnabled(
                f"Autopay is off for customer {command.customer_id}; the customer must "
                "enrol (with consent) first")
        if not ledger.online_payments_enabled(command.company_id):
            raise OnlinePaymentsDisabled("Online payments are off: no card can be charged")
        check_chargeable(command.amount, command.currency, ledger.processor.currencies)
        check_invoice_free(customer, command.invoice_id)
        now = ledger.clock()
        settings = ledger.autopay_settings(command.company_id)
        first = next_card(customer, settings, now, tried=set())
        if first is None:  # say why, as a payment of the autopay card would
            customer.card_to_charge(current.card_id, now.date())
            raise NoPrimaryCard("No unexpired card for autopay to charge")
        customer.trigger_event(
            AutopayChargeStarted, charge_id=charge_id, invoice_id=command.invoice_id,
            amount=command.amount, currency=command.currency,
            consent_id=current.consent.consent_id, initiated_by="merchant",
            started_at=now.isoformat(),
            **customer._stamp(**receipt.fields()))
        attempt_id = self._start_attempt(customer, charges_of(customer)[charge_id], first, now,
                                         receipt)
        ledger.save(customer)
        mine.add(attempt_id)
        return True

    def _drive(self, company_id: str, customer_id: str, charge_id: str, receipt: Receipt,
               mine: set[str], *, replayed: bool) -> AutopayOutcome:
        """Sends this process's attempts and records every answer, until the
        round settles. ``mine``: the attempts this process won the right to send."""
        while True:
            customer = self.ledger.get_customer(company_id, customer_id)
            charge = charges_of(customer)[charge_id]
            if charge.status != "in_progress":
                return AutopayOutcome(charge, customer.version, replayed)
            attempt = charge.open_attempt
            if attempt is None:
                started = self._append(customer, lambda c: self._plan(c, charge_id, receipt))
                if started:
                    mine.add(started)
            elif attempt.attempt_id in mine:
                result = self._send(customer, charge, attempt)
                self._append(customer, lambda c: self._finish(c, charge_id, attempt.attempt_id,
                                                              result, receipt))
            else:
                self._resume(customer, charge, attempt, receipt, mine)

    def _resume(self, customer: Customer, charge: AutopayCharge, attempt: AutopayAttempt,
                receipt: Receipt, mine: set[str]) -> None:
        """Someone else's open attempt: the processor's answer if it charged,
        else (its window passed) take it over."""
        found = self.ledger.processor.find_charge(attempt.attempt_id,
                                                  customer.processor_customer_id)
        if found is not None:
            self._append(customer, lambda c: self._finish(c, charge.charge_id,
                                                          attempt.attempt_id, found, receipt))
            return
        wait = datetime.fromisoformat(attempt.in_flight_until) - self.ledger.clock()
        if wait > timedelta(0):
            raise PaymentInProgress(
                "This autopay charge is being sent by another request; retry later",
                retry_after=max(1, int(wait.total_seconds()) + 1))
        if self._append(customer, lambda c: self._take_over(c, charge.charge_id, attempt,
                                                            receipt)):
            mine.add(attempt.attempt_id)

    def _send(self, customer: Customer, charge: AutopayCharge,
              attempt: AutopayAttempt) -> ChargeResult:
        """The switch and the card are read right before the charge, as for
        invoice payments; neither refusal reaches the processor."""
        if not self.ledger.online_payments_enabled(customer.company_id):
            return ChargeResult(False, decline_code=OnlinePaymentsDisabled.code)
        if attempt.card_id not in customer.cards:
            return ChargeResult(False, decline_code="card-removed")
        try:
            result = self.ledger.processor.charge(
                attempt.processor_token, charge.amount, charge.currency, charge.invoice_id,
                idempotency_key=f"cardledger-{attempt.attempt_id}",
                customer_ref=customer.processor_customer_id, attempt_id=attempt.attempt_id)
        except (InvalidAmount, UnknownToken) as refused:
            # Refused outright, nothing charged (e.g. the card was removed at the
            # processor): a hard decline of this card, so the round goes on.
            return ChargeResult(False, decline_code=refused.code)
        if not result.succeeded and result.decline_code not in DECLINE_CODES:
            return ChargeResult(False, result.processor_payment_id, "generic_decline")
        return result

    # --- decisions on a loaded customer (each checks it still applies) ---------------

    def _plan(self, customer: Customer, charge_id: str, receipt: Receipt) -> str | None:
        """No attempt open: start the round's next card, or settle the round.
        Returns the attempt started, if any."""
        charge = charges_of(customer)[charge_id]
        if charge.status != "in_progress" or charge.open_attempt is not None:
            return None
        now = self.ledger.clock()
        settings = self.ledger.autopay_settings(customer.company_id)
        if not autopay_of(customer).enabled:
            self._settle(customer, charge, "failed", receipt, failure=AutopayNotEnabled.code)
            return None
        if not self.ledger.online_payments_enabled(customer.company_id):
            self._settle(customer, charge, "failed", receipt,
                         failure=OnlinePaymentsDisabled.code)
            return None
        card = next_card(customer, settings, now, {a.card_id for a in charge.this_round})
        if card is not None:
            return self._start_attempt(customer, charge, card, now, receipt)
        round_ = charge.this_round
        if not round_:
            self._settle(customer, charge, "failed", receipt, failure="no-usable-card")
        elif any(a.soft_decline for a in round_) and charge.round < len(
                settings.retry_schedule_days):
            due = (datetime.fromisoformat(charge.started_at)
                   + timedelta(days=settings.retry_schedule_days[charge.round]))
            self._settle(customer, charge, "retry_scheduled", receipt, next_retry_at=due)
        else:
            self._settle(customer, charge, "failed", receipt)
        return None

    def _start_attempt(self, customer: Customer, charge: AutopayCharge, card: SavedCard,
                       now: datetime, receipt: Receipt) -> str:
        attempt_id = attempt_id_for(charge.charge_id, len(charge.attempts))
        consent = autopay_of(customer).consent
        customer.trigger_event(
            AutopayAttemptStarted, charge_id=charge.charge_id, attempt_id=attempt_id,
            card_id=card.card_id, selection="fallback" if charge.this_round else "autopay",
            card_version=card.version if card.version is not None else customer.version,
            consent_id=consent.consent_id if consent else charge.consent_id,
            round=charge.round, in_flight_until=(now + self.in_flight).isoformat(),
            **customer._stamp(**receipt.fields()))
        return attempt_id

    def _finish(self, customer: Customer, charge_id: str, attempt_id: str,
                result: ChargeResult, receipt: Receipt) -> None:
        charge = charges_of(customer)[charge_id]
        attempt = next(a for a in charge.attempts if a.attempt_id == attempt_id)
        if attempt.outcome is not None:
            return  # a racing resumer recorded it first
        stamp = customer._stamp(**receipt.fields())
        customer.trigger_event(
            AutopayAttemptFinished, charge_id=charge_id, attempt_id=attempt_id,
            card_id=attempt.card_id, outcome="succeeded" if result.succeeded else "declined",
            decline_code=None if result.succeeded else result.decline_code,
            processor_payment_id=result.processor_payment_id, **stamp)
        if result.succeeded:
            self._settle(customer, charges_of(customer)[charge_id], "succeeded", receipt)

    def _take_over(self, customer: Customer, charge_id: str, seen: AutopayAttempt,
                   receipt: Receipt) -> bool:
        current = charges_of(customer)[charge_id].open_attempt
        if current is None or current != seen:
            return False  # answered or taken over meanwhile
        customer.trigger_event(
            AutopayAttemptTakenOver, charge_id=charge_id, attempt_id=seen.attempt_id,
            in_flight_until=(self.ledger.clock() + self.in_flight).isoformat(),
            **customer._stamp(**receipt.fields()))
        return True

    @staticmethod
    def _settle(customer: Customer, charge: AutopayCharge, status: str, receipt: Receipt, *,
                next_retry_at: datetime | None = None, failure: str | None = None) -> None:
        customer.trigger_event(
            AutopayChargeSettled, charge_id=charge.charge_id, invoice_id=charge.invoice_id,
            amount=charge.amount, currency=charge.currency, status=status,
            card_id=charge.payment_method_id,
            next_retry_at=next_retry_at.isoformat() if next_retry_at else None,
            failure_code=failure, **customer._stamp(**receipt.fields()))

    def _append(self, customer: Customer, decide: Callable[[Customer], T]) -> T:
        """Decides on the customer in hand, then (after a lost race) on a fresh
        load; the decision counts only once its events are saved."""
        attempts = iter([customer])

        def step() -> T:
            current = next(attempts, None) or self.ledger.get_customer(
                customer.company_id, customer.customer_id)
            decided = decide(current)
            self.ledger.save(current)
            return decided

        return retry_on_conflict(step)


def next_card(customer: Customer, settings: AutopaySettings, now: datetime,
              tried: set[str]) -> SavedCard | None:
    """The round's next card: autopay's own, then (fallback on) the other
    unexpired cards, primary first, then newest first."""
    today = now.date()
    own = autopay_of(customer).card_to_charge(customer, today)
    if not tried:
        if own is not None or not settings.fallback_to_other_cards:
            return own
    elif not settings.fallback_to_other_cards:
        return None
    others = sorted(reversed(customer.cards.values()),
                    key=lambda c: c.card_id != customer.primary_card_id)
    return next((c for c in others
                 if c.card_id not in tried and not c.is_expired(today)
                 and (own is None or c.card_id != own.card_id)), None)


def check_invoice_free(customer: Customer, invoice_id: str) -> None:
    """Neither an invoice payment nor another autopay charge holds the invoice."""
    customer.check_invoice_not_paid(invoice_id)
    for charge in charges_of(customer).values():
        if charge.invoice_id == invoice_id and charge.holds_invoice:
            raise InvoiceAlreadyPaid(
                f"Invoice {invoice_id} already has autopay charge {charge.charge_id} "
                f"({charge.status}); retry with that charge's Idempotency-Key")

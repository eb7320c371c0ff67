"""The application service: one runner for every card command.

A command is a value (domain/commands.py) with a Stamp (who, from where, the
Idempotency-Key); ``CardLedger.run`` loads the customer, checks the key and
the expected version, lets the command's handler decide (domain/handlers.py),
appends, and retries a lost race from a fresh load. The processor is called
before the append, so no database transaction is open during a network call.
Invoice payments have their own two-step flow (domain/paying.py).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import JSONTranscoder, RecordConflictError, Recording

from domain.autopay import AutopayAsDict, AutopaySettings
from domain.autopay_charge import AutopayChargeAsDict
from domain.autopay_handlers import AUTOPAY_HANDLERS
from domain.autopay_service import AutopayService
from domain.basis import Basis
from domain.cards import SavedCardAsDict
from domain.commands import (
    AddCard,
    CustomerCommand,
    DeleteCard,
    EraseCustomer,
    MakePrimary,
    PayInvoice,
    Receipt,
    RecordCardUpdate,
    RegisterCustomer,
    Stamp,
)
from domain.company import Company
from domain.customer import Customer
from domain.customer_cache import CustomerCache, fold
from domain.erasure import EraseCustomerHandler
from domain.errors import CustomerNotFound, DomainError, InvalidCommand, VersionConflict
from domain.group_commit import GroupCommit
from domain.handlers import HANDLERS, Handler, handler_for
from domain.ids import (
    check_external_id,
    company_aggregate_id,
    customer_aggregate_id,
    new_card_id,  # noqa: F401 (callers make card ids from here too)
    request_hash,
)
from domain.outcomes import Outcome, PaymentOutcome
from domain.paying import InvoicePayments
from domain.payments import Payment, PaymentAsDict
from domain.personal_data import NotKept, PersonalData
from domain.processor import Processor
from domain.provenance import Provenance
from domain.retry import retry_on_conflict
from domain.switches import SwitchCache

log = logging.getLogger("cardledger.service")
HANDLERS.update(AUTOPAY_HANDLERS)
HANDLERS[EraseCustomer] = EraseCustomerHandler
PROCESSOR = Provenance("system:processor", "processor")


def utcnow() -> datetime:
    return datetime.now(tz=UTC)


class CardLedger(Application[Any]):
    name = "cardledger"
    # Long-lived customers load from a snapshot plus a few events.
    snapshotting_intervals = {Customer: 50}  # noqa: RUF012

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        processor: Processor,
        clock: Callable[[], datetime] = utcnow,
        max_cards: int = 10,
        group_commit: bool = True,
        personal_data: PersonalData | None = None,
        customer_cache_size: int = 1000,
    ) -> None:
        super().__init__(env)
        self.processor = processor
        self.personal_data: PersonalData = personal_data or NotKept()
        self.clock = clock
        self.max_cards = max_cards
        self.invoice_payments = InvoicePayments(self)
        self.group_commit = GroupCommit(self, enabled=group_commit)
        self.customers = CustomerCache(customer_cache_size)
        self.switches = SwitchCache(customer_cache_size)
        # The store checks an append's basis inside its transaction
        # (storage/expected_versions.py): then a command may decide on what
        # this process kept (domain/basis.py); else it reads the store first.
        self.appends_on_condition = bool(getattr(self.recorder, "checks_expected_versions",
                                                 False))
        self.autopay = AutopayService(self)
        # Work the store does in each append's own transaction, given the
        # events: keyword arguments for its insert_events. The composition
        # root sets the views' inline writer here (projections/inline_views.py);
        # the domain only passes them through, for every save (group commit's
        # batches, payments, autopay, the company's switch).
        self.in_same_transaction: Callable[[Sequence[Any]], dict[str, Any]] | None = None

    def _record(self, processing_event: ProcessingEvent[Any]) -> list[Recording[Any]]:
        # Made afresh for each insert: a group-commit batch that conflicted is
        # saved again member by member, each with its own.
        if self.in_same_transaction is not None:
            processing_event.saved_kwargs.update(self.in_same_transaction(processing_event.events))
        recordings = super()._record(processing_event)
        for aggregate in processing_event.aggregates.values():
            if isinstance(aggregate, Company):  # whatever changed it: the switch, autopay's settings
                self.switches.keep(aggregate.company_id, aggregate.online_payments,
                                   aggregate.version)
            else:  # a kept copy is behind now (the runner's own was taken: no-op)
                self.customers.discard(aggregate.id)
        return recordings

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(SavedCardAsDict())
        transcoder.register(PaymentAsDict())
        transcoder.register(AutopayAsDict())
        transcoder.register(AutopayChargeAsDict())

    # --- the runner -----------------------------------------------------------------

    def run(self, command: CustomerCommand, stamp: Stamp, *,
            expected_version: int | None = None) -> Outcome:
        """Load, decide, save; a lost race runs again from a fresh load, unless
        the caller pinned ``expected_version`` (then it is a VersionConflict).
        A key seen before with the same request answers the first outcome."""
        check_external_id(command.company_id, "company id")
        check_external_id(command.customer_id, "customer id")
        request = command.request()
        key = stamp.idempotency_key if request is not None else None
        receipt = Receipt(stamp.by, key, request_hash(*request) if request is not None else "")
        handler = handler_for(self, command)
        attempts = itertools.count()
        try:
            outcome = retry_on_conflict(lambda: self._decide_and_save(
                command, handler, receipt, expected_version,
                Basis(may_remember=next(attempts) == 0 and self.appends_on_condition
                      and handler.may_decide_on_memory)))
        except Exception:
            handler.abandon()
            raise
        handler.done(outcome)
        return outcome

    def _decide_and_save(self, command: CustomerCommand, handler: Handler, receipt: Receipt,
                         expected_version: int | None, basis: Basis) -> Outcome:
        try:
            decided = self._decide(command, handler, receipt, expected_version, basis)
        except DomainError:
            self._confirm(basis)  # a refusal stands only on what the store holds
            raise
        if isinstance(decided, Outcome):
            return decided
        customer, card_id = decided
        if not self.appends_on_condition:
            self._confirm(basis, all_of_it=True)  # the store cannot: read right before
        try:
            recordings = self.group_commit.save(
                customer, expected_versions=basis.versions if self.appends_on_condition else {})
        except RecordConflictError as conflict:
            moved = getattr(conflict, "moved", (customer.id,))
            if customer.id in moved and basis.kept_customer == customer.id:
                self.customers.mark_shared(customer.id)  # the kept copy was behind
                self.customers.observed(behind=True, on_copy=True)
            if expected_version is None or customer.id not in moved:
                raise  # retried from the store
            raise VersionConflict("Another change was saved first; read and retry") from None
        if not recordings:
            self._confirm(basis)  # "nothing changed" stands only on what the store holds
        if basis.kept_customer is not None:
            self.customers.observed(behind=False, on_copy=True)  # decided on the kept copy, and it was current
        self.customers.keep(customer)
        position = recordings[-1].notification.id if recordings else None
        return Outcome(card_id, customer.version, position, customer=customer)

    def _decide(self, command: CustomerCommand, handler: Handler, receipt: Receipt,
                expected_version: int | None, basis: Basis) -> Outcome | tuple[Customer, str | None]:
        """The customer with the command's events pending, and the card the
        answer is about; or the first answer, for a key seen before."""
        customer = self._customer_to_change(command.company_id, command.customer_id, basis)
        current_version = customer.version if customer else 0
        if customer is None:
            if not command.creates_customer:
                raise CustomerNotFound(
                    f"No customer {command.customer_id} in company {command.company_id}")
            customer = Customer.register(command.company_id, command.customer_id, receipt.by)
        if not command.runs_after_erasure:
            customer.check_not_erased()
        if receipt.idempotency_key:
            prior = customer.recall(receipt.idempotency_key, receipt.request_hash or "")
            if prior is not None:
                # Stands even on a customer kept in memory: the key was recorded.
                self.customers.keep(customer)
                return Outcome(prior[0], prior[1], None, replayed=True)
        if expected_version is not None and expected_version != current_version:
            raise VersionConflict(  # confirmed by the caller, as every refusal
                f"Expected version {expected_version}, the customer is at {current_version}")
        return customer, handler.decide(customer, receipt, basis)

    def _confirm(self, basis: Basis, *, all_of_it: bool = False) -> None:
        """Reads the store for the streams the basis read from memory (with
        ``all_of_it``, every stream it read); one that moved since raises a
        conflict, and the command runs again on what the store holds."""
        for stream_id in basis.versions if all_of_it else basis.from_memory:
            version = basis.versions[stream_id]
            last = self.recorder.select_events(stream_id, desc=True, limit=1)
            if (last[0].originator_version if last else 0) != version:
                if stream_id == basis.kept_customer:
                    self.customers.mark_shared(stream_id)
                    self.customers.observed(behind=True, on_copy=True)
                raise RecordConflictError(f"stream {stream_id} changed since it was read")

    # --- company settings ------------------------------------------------------

    def set_online_payments(self, company_id: str, enabled: bool, by: Provenance) -> Outcome:
        check_external_id(company_id, "company id")

        def step() -> Outcome:
            company = self.company_or_none(company_id) or Company.register(company_id, by)
            company.switch_online_payments(enabled, by)
            recordings = self.save(company)
            position = recordings[-1].notification.id if recordings else None
            return Outcome(None, company.version, position)

        return retry_on_conflict(step)

    def online_payments_enabled(self, company_id: str) -> bool:
        """The switch as stored now: the company's events folded on every call,
        never an aggregate from a cache, because this read is what decides
        whether a charge is sent (docs/payments-rules.md)."""
        return self._switch_as_stored(check_external_id(company_id, "company id"))[0]

    def switch_for(self, company_id: str, basis: Basis) -> bool:
        """The switch for a command's decision: as last seen here when the
        attempt may decide on memory, else as stored; either way the reading
        joins the basis, and the append is made on condition that the company
        has not changed since (domain/switches.py)."""
        stream_id = company_aggregate_id(company_id)
        kept = self.switches.get(company_id) if basis.may_remember else None
        if kept is not None:
            basis.read(stream_id, kept[1], remembered=True)
            return kept[0]
        enabled, version = self._switch_as_stored(company_id)
        self.switches.keep(company_id, enabled, version)
        basis.read(stream_id, version)
        return enabled

    def _switch_as_stored(self, company_id: str) -> tuple[bool, int]:
        company: Company | None = None
        for event in self.events.get(company_aggregate_id(company_id)):
            company = event.mutate(company)
        return (bool(company.online_payments), company.version) if company else (False, 0)

    # --- the buttons, as calls: each builds its command and runs it --------------

    def register_customer(self, company_id: str, customer_id: str, by: Provenance) -> Outcome:
        """Creates the customer's stream; registering twice changes nothing."""
        return self.run(RegisterCustomer(company_id=company_id, customer_id=customer_id),
                        Stamp(by))

    def add_card(self, company_id: str, customer_id: str, token: str, *,
                 make_primary: bool = False, by: Provenance,
                 idempotency_key: str | None = None,
                 expected_version: int | None = None) -> Outcome:
        return self.run(AddCard(company_id=company_id, customer_id=customer_id, token=token,
                                make_primary=make_primary),
                        Stamp(by, idempotency_key), expected_version=expected_version)

    def set_primary(self, company_id: str, customer_id: str, card_id: str, *,
                    by: Provenance, idempotency_key: str | None = None,
                    expected_version: int | None = None) -> Outcome:
        return self.run(MakePrimary(company_id=company_id, customer_id=customer_id,
                                    card_id=card_id),
                        Stamp(by, idempotency_key), expected_version=expected_version)

    def delete_card(self, company_id: str, customer_id: str, card_id: str, *,
                    by: Provenance, idempotency_key: str | None = None,
                    expected_version: int | None = None, force: bool = False) -> Outcome:
        return self.run(DeleteCard(company_id=company_id, customer_id=customer_id,
                                   card_id=card_id, force=force),
                        Stamp(by, idempotency_key), expected_version=expected_version)

    def erase_customer(self, company_id: str, customer_id: str, *, by: Provenance,
                       idempotency_key: str | None = None) -> Outcome:
        """Erases the customer (domain/erasure.py); erasing again answers the first."""
        return self.run(EraseCustomer(company_id=company_id, customer_id=customer_id),
                        Stamp(by, idempotency_key))

    def record_processor_update(self, customer_ref: str, token: str, *, last4: str,
                                exp_month: int, exp_year: int, reason: str,
                                event_id: str, occurred_at: datetime | None = None,
                                ) -> Outcome | None:
        """A saved card changed at the processor (the networks' account updater).
        ``event_id`` (the processor's event id) is the idempotency key, so a
        redelivered event is recorded once. None when cardledger does not hold
        the card: there is nothing to record."""
        check_card_update(last4, exp_month, exp_year)
        owner = self.processor.customer_owner(customer_ref)
        customer = self.load_customer(*owner) if owner else None
        if owner is None or customer is None or customer.card_by_token(token) is None:
            return None
        return self.run(RecordCardUpdate(company_id=owner[0], customer_id=owner[1], token=token,
                                         last4=last4, exp_month=exp_month, exp_year=exp_year,
                                         reason=reason, occurred_at=occurred_at),
                        Stamp(PROCESSOR, event_id))

    def pay_invoice(self, company_id: str, customer_id: str, *, invoice_id: str, amount: int,
                    currency: str, card_id: str | None = None, additional: bool = False,
                    by: Provenance, idempotency_key: str | None) -> PaymentOutcome:
        """Charges the named saved card, or the primary one (domain/paying.py)."""
        return self.invoice_payments.pay(
            PayInvoice(company_id=company_id, customer_id=customer_id, invoice_id=invoice_id,
                       amount=amount, currency=currency, card_id=card_id,
                       additional=additional),
            Stamp(by, idempotency_key))

    # --- reads -------------------------------------------------------------------

    def get_customer(self, company_id: str, customer_id: str,
                     version: int | None = None) -> Customer:
        """The customer now, or just after ``version`` (loaded from the nearest
        snapshot, so the cost does not grow with the customer's history)."""
        customer = self.load_customer(company_id, customer_id, version)
        if customer is None:
            raise CustomerNotFound(f"No customer {customer_id} in company {company_id}")
        return customer

    def _customer_to_change(self, company_id: str, customer_id: str,
                            basis: Basis) -> Customer | None:
        """The customer for one command: as this process kept it after its last
        save, when the attempt may decide on memory (the append then checks it:
        domain/basis.py); else as stored now, from the kept one brought up to
        date with the events saved since (domain/customer_cache.py), or loaded."""
        aggregate_id = customer_aggregate_id(company_id, customer_id)
        cached = self.customers.take(aggregate_id)
        if cached is None:
            return self.load_customer(company_id, customer_id)
        if basis.may_remember and self.customers.worth_deciding_on(aggregate_id):
            basis.read(aggregate_id, cached.version, remembered=True)
            basis.kept_customer = aggregate_id
            return cast(Customer, cached)
        since = list(self.events.get(aggregate_id, gt=cached.version))
        self.customers.observed(behind=bool(since), on_copy=False)
        customer: Customer = fold(cached, since)
        return customer

    def load_customer(self, company_id: str, customer_id: str,
                      version: int | None = None) -> Customer | None:
        try:
            return self.repository.get(customer_aggregate_id(company_id, customer_id),
                                       version=version, projector_func=fold)
        except AggregateNotFoundError:
            return None

    def customer_events(self, company_id: str, customer_id: str) -> Sequence[DomainEventProtocol[Any]]:
        check_external_id(company_id, "company id")
        check_external_id(customer_id, "customer id")
        events = list(self.events.get(customer_aggregate_id(company_id, customer_id)))
        if not events:
            raise CustomerNotFound(f"No customer {customer_id} in company {company_id}")
        return events

    def payments(self, company_id: str, customer_id: str) -> list[Payment]:
        """The customer's payments, newest first, from the events."""
        customer = self.get_customer(company_id, customer_id)
        return list(reversed(customer.payments.values()))

    # --- the processor, outside the store -------------------------------------------

    def detach_quietly(self, token: str) -> None:
        """Never fatal: a card left attached at the processor is untidy, not
        dangerous, since cardledger charges only saved cards."""
        try:
            self.processor.detach(token)
        except Exception:
            log.warning("could not detach %s at the processor", token, exc_info=True)

    def autopay_settings(self, company_id: str) -> AutopaySettings:
        return self.autopay.settings(company_id)

    def company_or_none(self, company_id: str) -> Company | None:
        try:
            return self.repository.get(company_aggregate_id(company_id))
        except AggregateNotFoundError:
            return None


def check_card_update(last4: str, exp_month: int, exp_year: int) -> None:
    if not (isinstance(last4, str) and len(last4) == 4 and last4.isdigit()):
        raise InvalidCommand("last4 must be four digits")
    if not (isinstance(exp_month, int) and 1 <= exp_month <= 12
            and isinstance(exp_year, int) and 2000 <= exp_year <= 2100):
        raise InvalidCommand("the expiry must be a month 1-12 and a four-digit year")

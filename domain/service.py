"""The application service: loads aggregates, asks the processor, saves events.

Commands run in a short retry loop: load, check idempotency and the expected
version, run the aggregate method, append. A lost race (another writer appended
first) is retried from a fresh load unless the caller pinned a version, in which
case it is a VersionConflict. The processor is called before the append, so no
database transaction is open during a network call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import JSONTranscoder, RecordConflictError

from domain.cards import SavedCardAsDict
from domain.company import Company
from domain.customer import Customer
from domain.errors import (
    CustomerNotFound,
    InvalidCommand,
    OnlinePaymentsDisabled,
    VersionConflict,
)
from domain.ids import (
    check_external_id,
    company_aggregate_id,
    customer_aggregate_id,
    random_id,
    request_hash,
)
from domain.paying import InvoicePayments
from domain.payments import PaymentAsDict
from domain.processor import CardDetails, Processor
from domain.provenance import Provenance
from domain.retry import retry_on_conflict

log = logging.getLogger("cardledger.service")
PROCESSOR = Provenance("system:processor", "processor")


@dataclass(frozen=True)
class Outcome:
    """What a command did. ``position`` is the notification id of its last
    event (None when nothing was appended, e.g. an idempotent replay)."""

    card_id: str | None
    version: int
    position: int | None
    replayed: bool = False


def utcnow() -> datetime:
    return datetime.now(tz=UTC)


def new_card_id() -> str:
    return random_id("card_")


class CardLedger(InvoicePayments, Application[Any]):
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
    ) -> None:
        super().__init__(env)
        self.processor = processor
        self.clock = clock
        self.max_cards = max_cards

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(SavedCardAsDict())
        transcoder.register(PaymentAsDict())

    # --- company settings ------------------------------------------------------

    def set_online_payments(self, company_id: str, enabled: bool, by: Provenance) -> Outcome:
        check_external_id(company_id, "company id")

        def step() -> Outcome:
            company = self._company_or_none(company_id) or Company.register(company_id, by)
            company.switch_online_payments(enabled, by)
            recordings = self.save(company)
            position = recordings[-1].notification.id if recordings else None
            return Outcome(None, company.version, position)

        return retry_on_conflict(step)

    def online_payments_enabled(self, company_id: str) -> bool:
        """The switch as stored now: the company's events folded on every call,
        never an aggregate from a cache, because this read is what decides
        whether a card is saved or a charge is sent (docs/payments-rules.md)."""
        company: Company | None = None
        for event in self.events.get(company_aggregate_id(check_external_id(company_id,
                                                                            "company id"))):
            company = event.mutate(company)
        return bool(company and company.online_payments)

    # --- customer commands -------------------------------------------------------

    def register_customer(self, company_id: str, customer_id: str, by: Provenance) -> Outcome:
        """Creates the customer's stream; registering twice changes nothing."""
        return self._change_customer(company_id, customer_id, by, None, None, None,
                                     lambda customer, key, digest: None)

    def add_card(
        self,
        company_id: str,
        customer_id: str,
        token: str,
        *,
        make_primary: bool = False,
        by: Provenance,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> Outcome:
        details: list[CardDetails] = []  # fetched once, reused by retries
        held: dict[str, str] = {}  # processor-side work done so far, reused by retries

        def command(customer: Customer, key: str | None, digest: str) -> str:
            if not details:
                details.append(self.processor.retrieve(token))
            card_token = details[0].payment_method_id or token
            card_id = new_card_id()
            # The rules run first, so a refused card never reaches the processor.
            customer.add_card(
                card_id, card_token, details[0],
                make_primary=make_primary,
                online_payments=self.online_payments_enabled(company_id),
                today=self.clock().date(),
                max_cards=self.max_cards,
                by=by, idempotency_key=key, request_hash=digest,
            )
            self._attach(customer, card_token, held, by, key, digest)
            # Read again after the processor calls, right before the append: an
            # admin may have switched online payments off meanwhile.
            if not self.online_payments_enabled(company_id):
                raise OnlinePaymentsDisabled(
                    "Online payments were switched off while the card was being added")
            return card_id

        try:
            return self._change_customer(company_id, customer_id, by, idempotency_key,
                                         expected_version, ("add_card", token, make_primary),
                                         command)
        except Exception:
            if "token" in held:
                self._undo_attach(company_id, customer_id, held["token"])
            raise

    def set_primary(self, company_id: str, customer_id: str, card_id: str, *,
                    by: Provenance, idempotency_key: str | None = None,
                    expected_version: int | None = None) -> Outcome:
        def command(customer: Customer, key: str | None, digest: str) -> str:
            customer.set_primary(card_id, today=self.clock().date(), by=by,
                                 idempotency_key=key, request_hash=digest)
            return card_id

        return self._change_customer(company_id, customer_id, by, idempotency_key,
                                     expected_version, ("set_primary", card_id), command,
                                     must_exist=True)

    def delete_card(self, company_id: str, customer_id: str, card_id: str, *,
                    by: Provenance, idempotency_key: str | None = None,
                    expected_version: int | None = None) -> Outcome:
        tokens: list[str] = []

        def command(customer: Customer, key: str | None, digest: str) -> str:
            card = customer.cards.get(card_id)
            customer.delete_card(card_id, today=self.clock().date(), by=by,
                                 idempotency_key=key, request_hash=digest)
            tokens[:] = [card.processor_token] if card else []
            return card_id

        outcome = self._change_customer(company_id, customer_id, by, idempotency_key,
                                        expected_version, ("delete_card", card_id), command,
                                        must_exist=True)
        # After the append, and never fatal: the deletion is what the customer
        # asked for and it is recorded; cardledger never charges a deleted card,
        # so a card left attached at the processor is untidy, not dangerous.
        if not outcome.replayed and tokens:
            self._detach_quietly(tokens[0])
        return outcome

    def record_processor_update(self, customer_ref: str, token: str, *, last4: str,
                                exp_month: int, exp_year: int, reason: str,
                                event_id: str) -> Outcome | None:
        """A saved card changed at the processor (the networks' account updater).
        ``event_id`` (the processor's event id) is the idempotency key, so a
        redelivered event is recorded once. None when cardledger does not hold
        the card: there is nothing to record."""
        check_card_update(last4, exp_month, exp_year)
        owner = self.processor.customer_owner(customer_ref)
        customer = self._customer_or_none(*owner) if owner else None
        if owner is None or customer is None or customer.card_by_token(token) is None:
            return None

        def command(customer: Customer, key: str | None, digest: str) -> str | None:
            card = customer.card_by_token(token)
            if card is None:  # deleted since we looked
                return None
            customer.update_card(card.card_id, last4=last4, exp_month=exp_month,
                                 exp_year=exp_year, reason=reason, by=PROCESSOR,
                                 idempotency_key=key, request_hash=digest)
            return card.card_id

        return self._change_customer(owner[0], owner[1], PROCESSOR, event_id, None,
                                     ("update_card", token, last4, exp_month, exp_year),
                                     command, must_exist=True)

    # --- reads -------------------------------------------------------------------

    def get_customer(self, company_id: str, customer_id: str,
                     version: int | None = None) -> Customer:
        """The customer now, or just after ``version`` (loaded from the nearest
        snapshot, so the cost does not grow with the customer's history)."""
        customer = self._customer_or_none(company_id, customer_id, version)
        if customer is None:
            raise CustomerNotFound(f"No customer {customer_id} in company {company_id}")
        return customer

    def customer_events(self, company_id: str, customer_id: str) -> Sequence[DomainEventProtocol[Any]]:
        check_external_id(company_id, "company id")
        check_external_id(customer_id, "customer id")
        events = list(self.events.get(customer_aggregate_id(company_id, customer_id)))
        if not events:
            raise CustomerNotFound(f"No customer {customer_id} in company {company_id}")
        return events

    # --- internals -------------------------------------------------------------------

    def _attach(self, customer: Customer, token: str, held: dict[str, str], by: Provenance,
                key: str | None, digest: str) -> None:
        """Puts the card on the customer's processor-side record, creating and
        linking that record the first time. Called before the append."""
        ref = customer.processor_customer_id
        if ref is None:
            if "created" not in held:
                held["created"] = self.processor.create_customer(customer.company_id,
                                                                 customer.customer_id)
            ref = held["created"]
            customer.link_processor_customer(ref, by=by, idempotency_key=key,
                                             request_hash=digest)
        if held.get("attached_to") == ref:
            return
        if "attached_to" in held:  # a racing command linked another record first
            self._detach_quietly(token)
        self.processor.attach(ref, token)
        held.update(attached_to=ref, token=token)

    def _undo_attach(self, company_id: str, customer_id: str, token: str) -> None:
        """Best effort after a failed append. Leaves the card attached when it
        is saved after all (a racing request saved the same card, or the append
        committed before the error) or when the store cannot be read."""
        try:
            customer = self._customer_or_none(company_id, customer_id)
        except Exception:
            log.exception("cannot tell whether card %s was saved; leaving it attached", token)
            return
        if customer is None or customer.card_by_token(token) is None:
            self._detach_quietly(token)

    def _detach_quietly(self, token: str) -> None:
        try:
            self.processor.detach(token)
        except Exception:
            log.warning("could not detach %s at the processor", token, exc_info=True)

    def _change_customer(
        self,
        company_id: str,
        customer_id: str,
        by: Provenance,
        idempotency_key: str | None,
        expected_version: int | None,
        request: tuple[Any, ...] | None,
        command: Callable[[Customer, str | None, str], str | None],
        *,
        must_exist: bool = False,
    ) -> Outcome:
        check_external_id(company_id, "company id")
        check_external_id(customer_id, "customer id")
        digest = request_hash(*request) if request else ""

        def step() -> Outcome:
            customer = self._customer_or_none(company_id, customer_id)
            current_version = customer.version if customer else 0
            if customer is None:
                if must_exist:
                    raise CustomerNotFound(f"No customer {customer_id} in company {company_id}")
                customer = Customer.register(company_id, customer_id, by)
            if idempotency_key and request:
                prior = customer.recall(idempotency_key, digest)
                if prior is not None:
                    return Outcome(prior[0], prior[1], None, replayed=True)
            if expected_version is not None and expected_version != current_version:
                raise VersionConflict(
                    f"Expected version {expected_version}, the customer is at {current_version}")
            card_id = command(customer, idempotency_key if request else None, digest)
            try:
                recordings = self.save(customer)
            except RecordConflictError:
                if expected_version is None:
                    raise  # retried from a fresh load
                raise VersionConflict("Another change was saved first; read and retry") from None
            position = recordings[-1].notification.id if recordings else None
            return Outcome(card_id, customer.version, position)

        return retry_on_conflict(step)

    def _customer_or_none(self, company_id: str, customer_id: str,
                          version: int | None = None) -> Customer | None:
        try:
            return self.repository.get(customer_aggregate_id(company_id, customer_id),
                                       version=version)
        except AggregateNotFoundError:
            return None

    def _company_or_none(self, company_id: str) -> Company | None:
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

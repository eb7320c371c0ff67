"""The application service: loads aggregates, asks the processor, saves events.

Commands run in a short retry loop: load, check idempotency and the expected
version, run the aggregate method, append. A lost race (another writer appended
first) is retried from a fresh load unless the caller pinned a version, in which
case it is a VersionConflict. The processor is called before the append, so no
database transaction is open during a network call.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
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
from domain.errors import CustomerNotFound, VersionConflict
from domain.ids import check_external_id, company_aggregate_id, customer_aggregate_id
from domain.processor import CardDetails, Processor
from domain.provenance import Provenance

MAX_ATTEMPTS = 30


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
    return "card_" + uuid.uuid4().hex


def request_hash(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


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
    ) -> None:
        super().__init__(env)
        self.processor = processor
        self.clock = clock
        self.max_cards = max_cards

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(SavedCardAsDict())

    # --- company settings ------------------------------------------------------

    def set_online_payments(self, company_id: str, enabled: bool, by: Provenance) -> Outcome:
        check_external_id(company_id, "company id")
        for attempt in range(MAX_ATTEMPTS):
            company = self._company_or_none(company_id) or Company.register(company_id, by)
            company.switch_online_payments(enabled, by)
            try:
                recordings = self.save(company)
            except RecordConflictError:
                _backoff(attempt)
                continue
            position = recordings[-1].notification.id if recordings else None
            return Outcome(None, company.version, position)
        raise VersionConflict("Too many concurrent changes; try again")

    def online_payments_enabled(self, company_id: str) -> bool:
        company = self._company_or_none(check_external_id(company_id, "company id"))
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

        def command(customer: Customer, key: str | None, digest: str) -> str:
            if not details:
                details.append(self.processor.retrieve(token))
            card_id = new_card_id()
            customer.add_card(
                card_id, token, details[0],
                make_primary=make_primary,
                online_payments=self.online_payments_enabled(company_id),
                today=self.clock().date(),
                max_cards=self.max_cards,
                by=by, idempotency_key=key, request_hash=digest,
            )
            return card_id

        return self._change_customer(company_id, customer_id, by, idempotency_key,
                                     expected_version, ("add_card", token, make_primary),
                                     command)

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
        def command(customer: Customer, key: str | None, digest: str) -> str:
            customer.delete_card(card_id, today=self.clock().date(), by=by,
                                 idempotency_key=key, request_hash=digest)
            return card_id

        return self._change_customer(company_id, customer_id, by, idempotency_key,
                                     expected_version, ("delete_card", card_id), command,
                                     must_exist=True)

    # --- reads -------------------------------------------------------------------

    def get_customer(self, company_id: str, customer_id: str) -> Customer:
        customer = self._customer_or_none(company_id, customer_id)
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
        for attempt in range(MAX_ATTEMPTS):
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
                if expected_version is not None:
                    raise VersionConflict("Another change was saved first; read and retry") from None
                _backoff(attempt)
                continue
            position = recordings[-1].notification.id if recordings else None
            return Outcome(card_id, customer.version, position)
        raise VersionConflict("Too many concurrent changes; try again")

    def _customer_or_none(self, company_id: str, customer_id: str) -> Customer | None:
        try:
            return self.repository.get(customer_aggregate_id(company_id, customer_id))
        except AggregateNotFoundError:
            return None

    def _company_or_none(self, company_id: str) -> Company | None:
        try:
            return self.repository.get(company_aggregate_id(company_id))
        except AggregateNotFoundError:
            return None


def _backoff(attempt: int) -> None:
    # Exponential and jittered, so racing writers stop colliding in lockstep.
    time.sleep(random.uniform(0, min(0.001 * 2**attempt, 0.05)))  # noqa: S311

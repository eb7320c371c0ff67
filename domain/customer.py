"""The Customer aggregate: one customer's saved payment methods.

Every rule about cards is checked here, in the method that could break it.
Events are public contracts: explicit topics that never change, a
class_version each, and only primitive fields (no card number can fit).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate, event

from domain.cards import SavedCard, is_expired
from domain.errors import (
    AlreadyPrimary,
    CardAlreadyDeleted,
    CardAlreadySaved,
    CardExpired,
    IdempotencyKeyReused,
    NoSuchCard,
    OnlinePaymentsDisabled,
    TooManyCards,
)
from domain.ids import customer_aggregate_id
from domain.processor import CardDetails
from domain.provenance import Provenance


class Customer(Aggregate):
    TOPIC = "cardledger/Customer"

    class Event(Aggregate.Event):
        """Base of every change to a customer: who, from where, for which customer."""

        TOPIC = "cardledger/Customer.Event"
        company_id: str
        customer_id: str
        actor: str
        source: str
        idempotency_key: str | None
        request_hash: str | None

    class Registered(Aggregate.Created):
        TOPIC = "cardledger/Customer.Registered"
        class_version = 1
        company_id: str
        customer_id: str
        actor: str
        source: str

    class CardAdded(Event):
        TOPIC = "cardledger/Customer.CardAdded"
        class_version = 1
        card_id: str
        processor_token: str
        brand: str
        last4: str
        exp_month: int
        exp_year: int
        fingerprint: str
        funding: str
        country: str
        cardholder_name: str | None

        def apply(self, customer: Customer) -> None:
            customer.cards[self.card_id] = SavedCard(
                card_id=self.card_id,
                processor_token=self.processor_token,
                brand=self.brand,
                last4=self.last4,
                exp_month=self.exp_month,
                exp_year=self.exp_year,
                fingerprint=self.fingerprint,
                funding=self.funding,
                country=self.country,
                cardholder_name=self.cardholder_name,
                added_at=self.timestamp,
                added_by=self.actor,
                added_from=self.source,
            )
            customer.remember(self, self.card_id)

    class PrimaryChanged(Event):
        TOPIC = "cardledger/Customer.PrimaryChanged"
        class_version = 1
        from_card_id: str | None
        to_card_id: str
        reason: str  # first-card, added-as-primary, chosen, primary-deleted

        def apply(self, customer: Customer) -> None:
            customer.primary_card_id = self.to_card_id
            customer.remember(self, self.to_card_id)

    class CardDeleted(Event):
        TOPIC = "cardledger/Customer.CardDeleted"
        class_version = 1
        card_id: str
        reason: str  # removed, ...

        def apply(self, customer: Customer) -> None:
            del customer.cards[self.card_id]
            customer.deleted_card_ids.append(self.card_id)
            if customer.primary_card_id == self.card_id:
                customer.primary_card_id = None
            customer.remember(self, self.card_id)

    class CardUpdated(Event):
        """The processor (card networks' account updater) changed a card."""

        TOPIC = "cardledger/Customer.CardUpdated"
        class_version = 1
        card_id: str
        last4: str
        exp_month: int
        exp_year: int
        reason: str

        def apply(self, customer: Customer) -> None:
            card = customer.cards[self.card_id]
            customer.cards[self.card_id] = replace(
                card, last4=self.last4, exp_month=self.exp_month, exp_year=self.exp_year
            )
            customer.remember(self, self.card_id)

    @event(Registered)
    def __init__(self, company_id: str, customer_id: str, actor: str, source: str,
                 idempotency_key: str | None = None, request_hash: str | None = None) -> None:
        self.company_id = company_id
        self.customer_id = customer_id
        self.cards: dict[str, SavedCard] = {}  # active cards, in the order added
        self.primary_card_id: str | None = None
        self.deleted_card_ids: list[str] = []
        # idempotency key -> [request hash, card id, version after the command]
        self.idempotency: dict[str, list[Any]] = {}

    @staticmethod
    def create_id(company_id: str, customer_id: str, **_: Any) -> Any:
        return customer_aggregate_id(company_id, customer_id)

    @classmethod
    def register(cls, company_id: str, customer_id: str, by: Provenance) -> Customer:
        return cls(company_id=company_id, customer_id=customer_id, actor=by.actor, source=by.source)

    # --- commands: the buttons people press ---------------------------------

    def add_card(
        self,
        card_id: str,
        token: str,
        details: CardDetails,
        *,
        make_primary: bool,
        online_payments: bool,
        today: date,
        max_cards: int,
        by: Provenance,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
    ) -> None:
        if not online_payments:
            raise OnlinePaymentsDisabled("Online payments are off: no card can be added")
        if is_expired(details.exp_month, details.exp_year, today):
            raise CardExpired(f"The card expired {details.exp_month:02d}/{details.exp_year}")
        if any(c.fingerprint == details.fingerprint for c in self.cards.values()):
            raise CardAlreadySaved(f"A {details.brand} ending {details.last4} is already saved")
        if len(self.cards) >= max_cards:
            raise TooManyCards(f"At most {max_cards} cards can be saved")
        stamp = self._stamp(by, idempotency_key, request_hash)
        self.trigger_event(
            self.CardAdded,
            card_id=card_id,
            processor_token=token,
            brand=details.brand,
            last4=details.last4,
            exp_month=details.exp_month,
            exp_year=details.exp_year,
            fingerprint=details.fingerprint,
            funding=details.funding,
            country=details.country,
            cardholder_name=details.cardholder_name,
            **stamp,
        )
        if self.primary_card_id is None:
            self._change_primary(card_id, "first-card", stamp)
        elif make_primary:
            self._change_primary(card_id, "added-as-primary", stamp)

    def set_primary(
        self,
        card_id: str,
        *,
        today: date,
        by: Provenance,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
    ) -> None:
        card = self.active_card(card_id)
        if card_id == self.primary_card_id:
            raise AlreadyPrimary(f"Card {card_id} is already the primary card")
        if card.is_expired(today):
            raise CardExpired(f"Card {card_id} has expired and cannot be primary")
        self._change_primary(card_id, "chosen", self._stamp(by, idempotency_key, request_hash))

    def delete_card(
        self,
        card_id: str,
        *,
        today: date,
        by: Provenance,
        reason: str = "removed",
        idempotency_key: str | None = None,
        request_hash: str | None = None,
    ) -> None:
        self.active_card(card_id)
        was_primary = card_id == self.primary_card_id
        stamp = self._stamp(by, idempotency_key, request_hash)
        self.trigger_event(self.CardDeleted, card_id=card_id, reason=reason, **stamp)
        if was_primary:
            successor = self.newest_unexpired_card(today)
            if successor is not None:
                self._change_primary(successor.card_id, "primary-deleted", stamp,
                                     from_card_id=card_id)

    def update_card(
        self,
        card_id: str,
        *,
        last4: str,
        exp_month: int,
        exp_year: int,
        reason: str,
        by: Provenance,
        idempotency_key: str | None = None,
    ) -> bool:
        """Record the processor's new details; False when nothing changed."""
        card = self.active_card(card_id)
        if (card.last4, card.exp_month, card.exp_year) == (last4, exp_month, exp_year):
            return False
        self.trigger_event(
            self.CardUpdated, card_id=card_id, last4=last4, exp_month=exp_month,
            exp_year=exp_year, reason=reason, **self._stamp(by, idempotency_key, None),
        )
        return True

    # --- queries --------------------------------------------------------------

    def active_card(self, card_id: str) -> SavedCard:
        try:
            return self.cards[card_id]
        except KeyError:
            if card_id in self.deleted_card_ids:
                raise CardAlreadyDeleted(f"Card {card_id} was already deleted") from None
            raise NoSuchCard(f"No saved card {card_id}") from None

    def newest_unexpired_card(self, today: date) -> SavedCard | None:
        for card in reversed(self.cards.values()):
            if not card.is_expired(today):
                return card
        return None

    def card_by_token(self, token: str) -> SavedCard | None:
        return next((c for c in self.cards.values() if c.processor_token == token), None)

    def recall(self, idempotency_key: str, request_hash: str) -> tuple[str | None, int] | None:
        """The (card id, version) a command with this key produced, if any."""
        prior = self.idempotency.get(idempotency_key)
        if prior is None:
            return None
        if prior[0] != request_hash:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used for a different request")
        return prior[1], prior[2]

    # --- internals -------------------------------------------------------------

    def _stamp(self, by: Provenance, idempotency_key: str | None,
               request_hash: str | None) -> dict[str, Any]:
        return dict(company_id=self.company_id, customer_id=self.customer_id,
                    actor=by.actor, source=by.source,
                    idempotency_key=idempotency_key, request_hash=request_hash)

    def _change_primary(self, to_card_id: str, reason: str, stamp: dict[str, Any],
                        from_card_id: str | None = None) -> None:
        self.trigger_event(
            self.PrimaryChanged,
            from_card_id=from_card_id if from_card_id is not None else self.primary_card_id,
            to_card_id=to_card_id,
            reason=reason,
            **stamp,
        )

    def remember(self, e: Any, card_id: str | None) -> None:
        # A command may emit several events under one key: keep the card the
        # command was about (the first event's) and the version after the last.
        if e.idempotency_key:
            prior = self.idempotency.get(e.idempotency_key)
            first_card_id = prior[1] if prior and prior[0] == e.request_hash else card_id
            self.idempotency[e.idempotency_key] = [e.request_hash, first_card_id, e.originator_version]

"""The Customer aggregate: one customer's saved payment methods.

Every rule about cards is checked here, in the method that could break it.
Events are public contracts: explicit topics that never change, a
class_version each, and only primitive fields (no card number can fit).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from eventsourcing.domain import Aggregate, event

from domain.cards import SavedCard, is_expired
from domain.chain import Chained, LinkedEvent, unlinked
from domain.errors import (
    AlreadyPrimary,
    CardAlreadyDeleted,
    CardAlreadySaved,
    CardExpired,
    CustomerErased,
    IdempotencyKeyReused,
    InvoiceAlreadyPaid,
    NoPrimaryCard,
    NoSuchCard,
    OnlinePaymentsDisabled,
    TooManyCards,
)
from domain.ids import customer_aggregate_id
from domain.payments import Payment
from domain.processor import DECLINE_CODES, CardDetails, ChargeResult
from domain.provenance import Provenance

# How long, and how many, idempotency receipts a customer keeps (see remember).
RECEIPT_WINDOW = timedelta(hours=24)
RECEIPTS_KEPT = 1_000
# Deleted card ids kept to tell "already deleted" (409) from "unknown" (404):
# enough for any race between two clerks, not a customer's whole history.
DELETED_IDS_KEPT = 100
# Why a payment charged the card it charged (PaymentStarted.selection): the
# customer's primary card, a card the caller named, autopay's card, or the
# card autopay fell back to after the first one was declined.
SELECTIONS = ("primary", "chosen", "autopay", "fallback")


class Customer(Chained, Aggregate):
    TOPIC = "cardledger/Customer"
    # v2: chain_head (snapshots taken before links existed have none).
    # v3: erased_at (snapshots taken before erasure existed: not erased).
    class_version = 3

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["chain_head"] = None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["erased_at"] = None

    class Event(LinkedEvent, Aggregate.Event):
        """Base of every change to a customer: who, from where, for which customer."""

        TOPIC = "cardledger/Customer.Event"
        company_id: str
        customer_id: str
        actor: str
        source: str
        idempotency_key: str | None
        request_hash: str | None
        chain_link: str | None  # domain/chain.py; None on events stored before links

        def apply(self, customer: Customer) -> None:
            """Every event's own change, then the bookkeeping all share: the
            idempotency receipt, written once here so no event can forget it."""
            self.change(customer)
            customer.remember(self, self.card_in_question)

        def change(self, customer: Customer) -> None:
            """What this event does to the customer (each event says)."""

        @property
        def card_in_question(self) -> str | None:
            """The card a replayed command answers with."""
            return getattr(self, "card_id", None)

    class Registered(LinkedEvent, Aggregate.Created):
        TOPIC = "cardledger/Customer.Registered"
        class_version = 2  # v2: chain_link
        upcast_v1_v2 = staticmethod(unlinked)
        company_id: str
        customer_id: str
        actor: str
        source: str
        chain_link: str | None

    class CardAdded(Event):
        TOPIC = "cardledger/Customer.CardAdded"
        class_version = 2  # v2: chain_link
        upcast_v1_v2 = staticmethod(unlinked)
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

        def change(self, customer: Customer) -> None:
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
                version=self.originator_version,
            )

    class PrimaryChanged(Event):
        TOPIC = "cardledger/Customer.PrimaryChanged"
        class_version = 2  # v2: chain_link
        upcast_v1_v2 = staticmethod(unlinked)
        from_card_id: str | None
        to_card_id: str
        reason: str  # first-card, added-as-primary, chosen, primary-deleted

        def change(self, customer: Customer) -> None:
            customer.primary_card_id = self.to_card_id

        @property
        def card_in_question(self) -> str | None:
            return self.to_card_id

    class CardDeleted(Event):
        TOPIC = "cardledger/Customer.CardDeleted"
        class_version = 2  # v2: chain_link
        upcast_v1_v2 = staticmethod(unlinked)
        card_id: str
        reason: str  # removed, ...

        def change(self, customer: Customer) -> None:
            del customer.cards[self.card_id]
            customer.deleted_card_ids.append(self.card_id)
            del customer.deleted_card_ids[:-DELETED_IDS_KEPT]
            if customer.primary_card_id == self.card_id:
                customer.primary_card_id = None

    class CardUpdated(Event):
        """The processor (card networks' account updater) changed a card."""

        TOPIC = "cardledger/Customer.CardUpdated"
        class_version = 3  # v2: chain_link; v3: processor_changed_at
        upcast_v1_v2 = staticmethod(unlinked)
        card_id: str
        last4: str
        exp_month: int
        exp_year: int
        reason: str
        processor_changed_at: str | None  # ISO; when the processor changed it, if it said

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["processor_changed_at"] = None  # not recorded then

        def change(self, customer: Customer) -> None:
            card = customer.cards[self.card_id]
            customer.cards[self.card_id] = replace(
                card, last4=self.last4, exp_month=self.exp_month, exp_year=self.exp_year,
                version=self.originator_version,
                processor_changed_at=self.processor_changed_at or card.processor_changed_at,
            )

    class CardUpdateIgnored(Event):
        """The processor reported a change older than the card's last one
        (webhooks arrive out of order): recorded, never applied."""

        TOPIC = "cardledger/Customer.CardUpdateIgnored"
        class_version = 1
        card_id: str
        last4: str
        exp_month: int
        exp_year: int
        reason: str
        processor_changed_at: str  # the stale change's instant
        card_changed_at: str  # the newer change the card already holds

        @property
        def summary(self) -> str:
            return (f"{self.reason} of {self.processor_changed_at} ignored: older than "
                    f"{self.card_changed_at}")

    class UnsavedCardDetached(Event):
        """A card attached at the processor but not saved here was detached
        there by reconciliation: never saved (a crash between attach and
        append) or deleted while the processor could not be reached."""

        TOPIC = "cardledger/Customer.UnsavedCardDetached"
        class_version = 1
        processor_token: str
        brand: str
        last4: str
        exp_month: int
        exp_year: int

        @property
        def summary(self) -> str:
            return f"{self.brand} {self.last4}: attached at the processor but not saved"

    class ProcessorCustomerLinked(Event):
        """The processor-side customer that holds this customer's cards."""

        TOPIC = "cardledger/Customer.ProcessorCustomerLinked"
        class_version = 2  # v2: chain_link
        upcast_v1_v2 = staticmethod(unlinked)
        processor_customer_id: str

        def change(self, customer: Customer) -> None:
            customer.processor_customer_id = self.processor_customer_id

    class PaymentStarted(Event):
        """Recorded before the processor is asked to charge (see domain/payments.py)."""

        TOPIC = "cardledger/Customer.PaymentStarted"
        class_version = 3
        payment_id: str
        invoice_id: str
        amount: int
        currency: str
        card_id: str
        in_flight_until: str  # ISO instant
        # v3: why this card: primary, chosen (named by the caller), autopay,
        # fallback; "unrecorded" on payments started before v3.
        selection: str
        # v3: the customer version at which the card was last added or updated,
        # i.e. the card as charged; None when not known (before v3).
        card_version: int | None
        additional: bool = False  # v2: pays an invoice that was already paid, on purpose

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # Before v2 an invoice could be paid twice without saying so; those
            # payments were not marked, and marking them now would rewrite history.
            state["additional"] = False

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            # Not recorded then, and not guessed now: a guess would rewrite history.
            unlinked(state)
            state["selection"] = "unrecorded"
            state["card_version"] = None

        def change(self, customer: Customer) -> None:
            customer.payments[self.payment_id] = Payment(
                payment_id=self.payment_id, invoice_id=self.invoice_id, amount=self.amount,
                currency=self.currency, card_id=self.card_id,
                processor_token=customer.cards[self.card_id].processor_token,
                started_at=self.timestamp.isoformat(), in_flight_until=self.in_flight_until,
                additional=self.additional, selection=self.selection,
                card_version=self.card_version,
            )

    class PaymentFinished(Event):
        """The fields both outcomes of a payment carry (never stored itself)."""

        TOPIC = "cardledger/Customer.PaymentFinished"
        payment_id: str
        invoice_id: str
        amount: int
        currency: str
        card_id: str
        processor_payment_id: str | None
        decline_code: str | None

    class PaymentSucceeded(PaymentFinished):
        TOPIC = "cardledger/Customer.PaymentSucceeded"
        class_version = 2  # v2: chain_link
        upcast_v1_v2 = staticmethod(unlinked)

        @property
        def summary(self) -> str:
            return f"invoice {self.invoice_id}: {self.amount} {self.currency}"

        def change(self, customer: Customer) -> None:
            customer.settle(self, "succeeded")

    class PaymentFailed(PaymentFinished):
        TOPIC = "cardledger/Customer.PaymentFailed"
        class_version = 2  # v2: chain_link
        upcast_v1_v2 = staticmethod(unlinked)

        @property
        def summary(self) -> str:
            return f"invoice {self.invoice_id}: {self.amount} {self.currency}, {self.decline_code}"

        def change(self, customer: Customer) -> None:
            customer.settle(self, "failed")

    class Erased(Event):
        """The customer was erased: their cards were deleted and detached at the
        processor, and their personal-data key destroyed (domain/erasure.py).
        Nothing can change for them afterwards; their history stays."""

        TOPIC = "cardledger/Customer.Erased"
        class_version = 1

        def change(self, customer: Customer) -> None:
            customer.erased_at = self.timestamp

    @event(Registered)
    def __init__(self, company_id: str, customer_id: str, actor: str, source: str,
                 idempotency_key: str | None = None, request_hash: str | None = None) -> None:
        self.company_id = company_id
        self.customer_id = customer_id
        self.cards: dict[str, SavedCard] = {}  # active cards, in the order added
        self.primary_card_id: str | None = None
        self.deleted_card_ids: list[str] = []  # the newest DELETED_IDS_KEPT
        # idempotency key -> [request hash, card id, version after the command,
        # ISO instant], oldest first; kept for RECEIPT_WINDOW (see remember)
        self.idempotency: dict[str, list[Any]] = {}
        self.processor_customer_id: str | None = None
        self.payments: dict[str, Payment] = {}  # payment id -> payment, oldest first
        self.erased_at: datetime | None = None

    @staticmethod
    def create_id(company_id: str, customer_id: str, **_: Any) -> Any:
        return customer_aggregate_id(company_id, customer_id)

    @classmethod
    def register(cls, company_id: str, customer_id: str, by: Provenance) -> Customer:
        return cls(company_id=company_id, customer_id=customer_id, actor=by.actor, source=by.source)

    def trigger_event(self, event_class: type, **kwargs: Any) -> None:
        # One gate for every change, whichever command or worker asks: after
        # Erased, a customer's stream takes no more events.
        self.check_not_erased()
        super().trigger_event(event_class, **kwargs)

    def check_not_erased(self) -> None:
        if self.erased_at is not None:
            raise CustomerErased.of(self.company_id, self.customer_id,
                                    self.erased_at.isoformat())

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
        force: bool = False,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
    ) -> None:
        from domain import autopay  # noqa: PLC0415 (autopay's events import Customer)

        self.active_card(card_id)
        autopay.check_card_deletion(self, card_id, force=force)
        was_primary = card_id == self.primary_card_id
        stamp = self._stamp(by, idempotency_key, request_hash)
        self.trigger_event(self.CardDeleted, card_id=card_id, reason=reason, **stamp)
        if was_primary:
            successor = self.newest_unexpired_card(today)
            if successor is not None:
                self._change_primary(successor.card_id, "primary-deleted", stamp,
                                     from_card_id=card_id)
        autopay.after_card_deletion(self, card_id, stamp)

    def update_card(
        self,
        card_id: str,
        *,
        last4: str,
        exp_month: int,
        exp_year: int,
        reason: str,
        by: Provenance,
        processor_changed_at: datetime | None = None,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
    ) -> bool:
        """Record the processor's new details; False when nothing changed, or
        when the change is older than the card's last one (then recorded as
        ignored: an out-of-order webhook never overwrites a newer expiry)."""
        card = self.active_card(card_id)
        stamp = self._stamp(by, idempotency_key, request_hash)
        changed_at = processor_changed_at.isoformat() if processor_changed_at else None
        held = card.processor_changed_at
        if processor_changed_at and held and processor_changed_at < datetime.fromisoformat(held):
            self.trigger_event(
                self.CardUpdateIgnored, card_id=card_id, last4=last4, exp_month=exp_month,
                exp_year=exp_year, reason=reason, processor_changed_at=changed_at,
                card_changed_at=held, **stamp)
            return False
        if (card.last4, card.exp_month, card.exp_year) == (last4, exp_month, exp_year):
            return False
        self.trigger_event(
            self.CardUpdated, card_id=card_id, last4=last4, exp_month=exp_month,
            exp_year=exp_year, reason=reason, processor_changed_at=changed_at, **stamp,
        )
        return True

    def detached_unsaved_card(self, token: str, brand: str, last4: str, exp_month: int,
                              exp_year: int, *, by: Provenance) -> None:
        """Records that the processor's card ``token``, which this customer
        never saved, was detached there; a saved card is never so recorded."""
        if self.card_by_token(token) is not None:
            raise ValueError("a saved card is not an unsaved one")
        self.trigger_event(self.UnsavedCardDetached, processor_token=token, brand=brand,
                           last4=last4, exp_month=exp_month, exp_year=exp_year,
                           **self._stamp(by, None, None))

    def link_processor_customer(self, processor_customer_id: str, *, by: Provenance,
                                idempotency_key: str | None = None,
                                request_hash: str | None = None) -> None:
        """Once per customer: later cards go to the same processor customer."""
        if self.processor_customer_id is None:
            self.trigger_event(self.ProcessorCustomerLinked,
                               processor_customer_id=processor_customer_id,
                               **self._stamp(by, idempotency_key, request_hash))

    def start_payment(
        self,
        payment_id: str,
        *,
        invoice_id: str,
        amount: int,
        currency: str,
        card_id: str | None,
        online_payments: bool,
        today: date,
        in_flight_until: datetime,
        by: Provenance,
        idempotency_key: str,
        request_hash: str,
        additional: bool = False,
        selection: str | None = None,
    ) -> Payment:
        """Chooses the card (the primary unless one is named) and records the
        attempt; the service charges only after this is saved. An invoice that
        is paid, or being paid, is paid again only when the caller says so.
        ``selection`` says why this card (SELECTIONS); by default "chosen" when
        the caller named the card, else "primary"."""
        if not online_payments:
            raise OnlinePaymentsDisabled("Online payments are off: no card can be charged")
        if not additional:
            self.check_invoice_not_paid(invoice_id)
        card = self.card_to_charge(card_id, today)
        selection = selection or ("chosen" if card_id is not None else "primary")
        if selection not in SELECTIONS:
            raise ValueError(f"unknown card selection {selection!r}")
        self.trigger_event(
            self.PaymentStarted, payment_id=payment_id, invoice_id=invoice_id, amount=amount,
            currency=currency, card_id=card.card_id, in_flight_until=in_flight_until.isoformat(),
            selection=selection, card_version=card.version, additional=additional,
            **self._stamp(by, idempotency_key, request_hash),
        )
        return self.payments[payment_id]

    def finish_payment(self, payment_id: str, result: ChargeResult, *, by: Provenance,
                       idempotency_key: str | None, request_hash: str | None) -> Payment:
        """Records the processor's answer once; a finished payment stays as it is."""
        payment = self.payments[payment_id]
        if payment.finished:
            return payment
        decline_code = None
        if not result.succeeded:
            # An unknown reason is still a decline; the stable codes are a contract.
            decline_code = result.decline_code if result.decline_code in DECLINE_CODES \
                else "generic_decline"
        self.trigger_event(
            self.PaymentSucceeded if result.succeeded else self.PaymentFailed,
            payment_id=payment_id, invoice_id=payment.invoice_id, amount=payment.amount,
            currency=payment.currency, card_id=payment.card_id,
            processor_payment_id=result.processor_payment_id, decline_code=decline_code,
            **self._stamp(by, idempotency_key, request_hash),
        )
        return self.payments[payment_id]

    def stop_payment(self, payment_id: str, *, reason: str, by: Provenance,
                     idempotency_key: str | None, request_hash: str | None) -> Payment:
        """The payment is not sent to the processor after all (online payments
        were switched off after it started): it fails uncharged, with the
        reason as its code. A finished payment stays as it is."""
        payment = self.payments[payment_id]
        if payment.finished:
            return payment
        self.trigger_event(
            self.PaymentFailed, payment_id=payment_id, invoice_id=payment.invoice_id,
            amount=payment.amount, currency=payment.currency, card_id=payment.card_id,
            processor_payment_id=None, decline_code=reason,
            **self._stamp(by, idempotency_key, request_hash),
        )
        return self.payments[payment_id]

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

    def card_to_charge(self, card_id: str | None, today: date) -> SavedCard:
        if card_id is None:
            if self.primary_card_id is None:
                raise NoPrimaryCard("The customer has no primary card; name the card to charge")
            card_id = self.primary_card_id
        card = self.active_card(card_id)
        if card.is_expired(today):
            raise CardExpired(f"Card {card_id} has expired and cannot be charged")
        return card

    def check_invoice_not_paid(self, invoice_id: str) -> None:
        """A second payment under a new Idempotency-Key is most often a
        double click or a client retry that lost its key, not a wish to pay twice."""
        for payment in self.payments.values():
            if payment.invoice_id == invoice_id and payment.holds_invoice:
                state = "succeeded" if payment.finished else "started, outcome not recorded yet"
                raise InvoiceAlreadyPaid(
                    f"Invoice {invoice_id} already has payment {payment.payment_id} ({state}); "
                    f"retry with that payment's Idempotency-Key, or send additional: true "
                    f"to pay it again")

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

    def settle(self, e: Any, status: str) -> None:
        self.payments[e.payment_id] = replace(
            self.payments[e.payment_id], status=status,
            processor_payment_id=e.processor_payment_id, decline_code=e.decline_code,
            finished_at=e.timestamp.isoformat())

    def remember(self, e: Any, card_id: str | None) -> None:
        """Keeps the event's idempotency receipt. A command may emit several
        events under one key: keep the card the command was about (the first
        event's) and the version after the last.

        Receipts are kept for RECEIPT_WINDOW after their command, and at most
        RECEIPTS_KEPT of them, as Stripe keeps keys for 24 hours: a customer's
        state (and snapshot) stays small however long its history. A retry after
        that runs as a new request, which the rules then answer (docs/idempotency.md);
        a payment's retry still finds its payment by id."""
        if not e.idempotency_key:
            return
        prior = self.idempotency.get(e.idempotency_key)
        first_card_id = prior[1] if prior and prior[0] == e.request_hash else card_id
        self.idempotency[e.idempotency_key] = [e.request_hash, first_card_id,
                                               e.originator_version, e.timestamp.isoformat()]
        if prior is None:
            self._forget_old_receipts(e.timestamp)

    def _forget_old_receipts(self, now: datetime) -> None:
        """Drops receipts from the oldest end: those past the window, and any
        beyond RECEIPTS_KEPT. Receipts written before receipts carried an
        instant have none; they are older than every dated one, so they go
        when a dated receipt after them goes."""
        cutoff = (now - RECEIPT_WINDOW).isoformat()
        excess = len(self.idempotency) - RECEIPTS_KEPT
        expired: list[str] = []
        undated: list[str] = []
        for key, receipt in self.idempotency.items():
            if len(expired) + len(undated) < excess:
                expired.append(key)
            elif len(receipt) < 4:
                undated.append(key)
            elif receipt[3] < cutoff:
                expired += [*undated, key]
                undated = []
            else:
                break
        for key in expired:
            del self.idempotency[key]

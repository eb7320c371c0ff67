"""One handler per card command: decide on a loaded customer, nothing else.

The runner (``CardLedger.run``, domain/service.py) loads, checks the key and
the expected version, calls ``decide``, saves and retries; a handler only
says what the command does to the customer. A handler object lives for one
``run``, so what must survive a retry (the card's details, fetched once; the
processor-side work already done) are its attributes.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from domain.commands import (
    AddCard,
    CustomerCommand,
    DeleteCard,
    MakePrimary,
    Receipt,
    RecordCardUpdate,
    RegisterCustomer,
)
from domain.customer import Customer
from domain.errors import OnlinePaymentsDisabled
from domain.ids import new_card_id
from domain.processor import CardDetails

if TYPE_CHECKING:
    from domain.basis import Basis
    from domain.ledger_port import Ledger
    from domain.outcomes import Outcome

log = logging.getLogger("cardledger.service")


class Handler:
    # Whether the first attempt may decide on what this process kept
    # (domain/basis.py): not for a handler that does something irreversible
    # before the append, since that attempt may be one the append refuses.
    may_decide_on_memory: ClassVar[bool] = True

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def decide(self, customer: Customer, receipt: Receipt, basis: Basis) -> str | None:
        """Runs the command on the customer; the card the answer is about."""
        raise NotImplementedError

    def done(self, outcome: Outcome) -> None:
        """After the append (or a replay): work that must follow the record."""

    def abandon(self) -> None:
        """The command failed for good: undo what was done outside the store."""


class RegisterCustomerHandler(Handler):
    def __init__(self, ledger: Ledger, command: RegisterCustomer) -> None:
        super().__init__(ledger)

    def decide(self, customer: Customer, receipt: Receipt, basis: Basis) -> None:
        return None  # loading (or creating) the customer was the whole command


class AddCardHandler(Handler):
    """The rules run first, so a refused card never reaches the processor; the
    card is then attached to the customer's processor-side record (created and
    linked with the first card), and the append checks that the switch was
    not flipped meanwhile."""

    def __init__(self, ledger: Ledger, command: AddCard) -> None:
        super().__init__(ledger)
        self.command = command
        self.details: CardDetails | None = None  # fetched once, reused by retries
        self.processor_customer: str | None = None  # created by this run, if any
        self.attached_to: str | None = None  # where this run attached the card

    def decide(self, customer: Customer, receipt: Receipt, basis: Basis) -> str:
        ledger, command = self.ledger, self.command
        if self.details is None:
            self.details = self._sealed(ledger.processor.retrieve(command.token))
        card_id = new_card_id()
        online_payments = ledger.switch_for(command.company_id, basis)
        if not online_payments and self.attached_to is not None:
            # An earlier attempt found the switch on and attached the card; its
            # append failed because the company changed meanwhile (domain/basis.py).
            raise OnlinePaymentsDisabled(
                "Online payments were switched off while the card was being added")
        customer.add_card(
            card_id, self.token, self.details, make_primary=command.make_primary,
            online_payments=online_payments,
            today=ledger.clock().date(), max_cards=ledger.max_cards, **receipt.fields())
        # The append is made on condition that the company is still as read,
        # after the processor calls: an admin may switch online payments off
        # meanwhile, and the add then runs again and is refused.
        self._attach(customer, receipt)
        return card_id

    def _sealed(self, details: CardDetails) -> CardDetails:
        """The details with every personal field sealed under the customer's
        key (domain/personal_data.py), before any event can hold them."""
        name = details.cardholder_name
        if name is None:
            return details
        command = self.command
        return replace(details, cardholder_name=self.ledger.personal_data.seal(
            command.company_id, command.customer_id, "cardholder_name", name))

    @property
    def token(self) -> str:
        """The processor's own handle for the card (the token may be a one-time one)."""
        assert self.details is not None
        return self.details.payment_method_id or self.command.token

    def _attach(self, customer: Customer, receipt: Receipt) -> None:
        ref = customer.processor_customer_id
        if ref is None:
            if self.processor_customer is None:
                self.processor_customer = self.ledger.processor.create_customer(
                    customer.company_id, customer.customer_id)
            ref = self.processor_customer
            customer.link_processor_customer(ref, **receipt.fields())
        if self.attached_to == ref:
            return
        if self.attached_to is not None:  # a racing command linked another record first
            self.ledger.detach_quietly(self.token)
        self.ledger.processor.attach(ref, self.token)
        self.attached_to = ref

    def abandon(self) -> None:
        """Best effort after a failed append. Leaves the card attached when it
        is saved after all (a racing request saved the same card, or the append
        committed before the error) or when the store cannot be read."""
        if self.attached_to is None:
            return
        command = self.command
        try:
            customer = self.ledger.load_customer(command.company_id, command.customer_id)
        except Exception:
            log.exception("cannot tell whether card %s was saved; leaving it attached",
                          self.token)
            return
        if customer is None or customer.card_by_token(self.token) is None:
            self.ledger.detach_quietly(self.token)


class MakePrimaryHandler(Handler):
    def __init__(self, ledger: Ledger, command: MakePrimary) -> None:
        super().__init__(ledger)
        self.command = command

    def decide(self, customer: Customer, receipt: Receipt, basis: Basis) -> str:
        customer.set_primary(self.command.card_id, today=self.ledger.clock().date(),
                             **receipt.fields())
        return self.command.card_id


class DeleteCardHandler(Handler):
    def __init__(self, ledger: Ledger, command: DeleteCard) -> None:
        super().__init__(ledger)
        self.command = command
        self.token: str | None = None

    def decide(self, customer: Customer, receipt: Receipt, basis: Basis) -> str:
        card = customer.cards.get(self.command.card_id)
        customer.delete_card(self.command.card_id, today=self.ledger.clock().date(),
                             force=self.command.force, **receipt.fields())
        self.token = card.processor_token if card else None
        return self.command.card_id

    def done(self, outcome: Outcome) -> None:
        # After the append, and never fatal: the deletion is what the customer
        # asked for and it is recorded; cardledger never charges a deleted card,
        # so a card left attached at the processor is untidy, not dangerous.
        if not outcome.replayed and self.token:
            self.ledger.detach_quietly(self.token)


class RecordCardUpdateHandler(Handler):
    def __init__(self, ledger: Ledger, command: RecordCardUpdate) -> None:
        super().__init__(ledger)
        self.command = command

    def decide(self, customer: Customer, receipt: Receipt, basis: Basis) -> str | None:
        command = self.command
        card = customer.card_by_token(command.token)
        if card is None:  # deleted since the webhook arrived
            return None
        customer.update_card(card.card_id, last4=command.last4, exp_month=command.exp_month,
                             exp_year=command.exp_year, reason=command.reason,
                             processor_changed_at=command.occurred_at, **receipt.fields())
        return card.card_id


HANDLERS: dict[type[CustomerCommand], type[Handler]] = {
    RegisterCustomer: RegisterCustomerHandler,
    AddCard: AddCardHandler,
    MakePrimary: MakePrimaryHandler,
    DeleteCard: DeleteCardHandler,
    RecordCardUpdate: RecordCardUpdateHandler,
}


def handler_for(ledger: Ledger, command: CustomerCommand) -> Handler:
    return HANDLERS[type(command)](ledger, command)  # type: ignore[call-arg]

"""Handlers for the autopay commands run by ``CardLedger.run`` (domain/handlers.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain import autopay
from domain.commands import (
    ClaimExpiryReminder,
    CustomerCommand,
    EnrolAutopay,
    Receipt,
    ReleaseExpiryReminder,
    TurnOffAutopay,
)
from domain.customer import Customer
from domain.handlers import Handler
from domain.ids import random_id
from domain.reminders import Reminder, claim_reminder, release_reminder

if TYPE_CHECKING:
    from domain.basis import Basis
    from domain.ledger_port import Ledger


class EnrolAutopayHandler(Handler):
    def __init__(self, ledger: Ledger, command: EnrolAutopay) -> None:
        super().__init__(ledger)
        self.command = command
        self.consent_id = random_id("cns_")  # one per run, kept by its retries

    def decide(self, customer: Customer, receipt: Receipt, basis: Basis) -> str | None:
        command, ledger = self.command, self.ledger
        autopay.enrol(customer, card_id=command.card_id,
                      text_version=command.consent_text_version,
                      channel=command.consent_channel, consent_id=self.consent_id,
                      online_payments=ledger.switch_for(command.company_id, basis),
                      today=ledger.clock().date(), **receipt.fields())
        return command.card_id


class TurnOffAutopayHandler(Handler):
    def __init__(self, ledger: Ledger, command: TurnOffAutopay) -> None:
        super().__init__(ledger)

    def decide(self, customer: Customer, receipt: Receipt, basis: Basis) -> None:
        autopay.turn_off(customer, **receipt.fields())


class ClaimExpiryReminderHandler(Handler):
    def __init__(self, ledger: Ledger, command: ClaimExpiryReminder) -> None:
        super().__init__(ledger)
        self.command = command
        self.reminder: Reminder | None = None  # what to e-mail, once saved

    def decide(self, customer: Customer, receipt: Receipt, basis: Basis) -> str | None:
        self.reminder = claim_reminder(customer, self.command.card_id,
                                       today=self.ledger.clock().date(), **receipt.fields())
        return self.command.card_id


class ReleaseExpiryReminderHandler(Handler):
    def __init__(self, ledger: Ledger, command: ReleaseExpiryReminder) -> None:
        super().__init__(ledger)
        self.command = command

    def decide(self, customer: Customer, receipt: Receipt, basis: Basis) -> str:
        c = self.command
        # Sealed like every personal field (domain/personal_data.py): a mail
        # server's refusal often quotes the address.
        error = self.ledger.personal_data.seal(c.company_id, c.customer_id, "error",
                                                 c.error[:200])
        release_reminder(customer, Reminder(c.card_id, "", "", c.exp_month, c.exp_year, False),
                         error, **receipt.fields())
        return c.card_id


AUTOPAY_HANDLERS: dict[type[CustomerCommand], type[Handler]] = {
    EnrolAutopay: EnrolAutopayHandler,
    TurnOffAutopay: TurnOffAutopayHandler,
    ClaimExpiryReminder: ClaimExpiryReminderHandler,
    ReleaseExpiryReminder: ReleaseExpiryReminderHandler,
}

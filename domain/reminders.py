"""Expiry reminders: at most one e-mail per card per expiry date.

The reminder is claimed (``ExpiryReminderSent`` appended) before the e-mail
is sent, so two runs, or a run after a crash, never send it twice; a send
that failed is recorded (``ExpiryReminderFailed``) and frees the claim for the
next run. A crash between the claim and the send loses that one reminder:
at most once, as promised, never twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from domain.autopay import autopay_of, reminders_of
from domain.autopay_events import ExpiryReminderFailed, ExpiryReminderSent, reminder_key

from domain.personal_data import is_sealed
from domain.provenance import Provenance

if TYPE_CHECKING:
    from domain.customer import Customer


@dataclass(frozen=True)
class Reminder:
    card_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    autopay: bool  # autopay charges this card: the e-mail says so


def claim_reminder(customer: Customer, card_id: str, *, today: date, by: Provenance,
                   idempotency_key: str | None = None,
                   request_hash: str | None = None) -> Reminder | None:
    """The reminder to send for the card's current expiry (as the account
    updater last corrected it), or None: the card is gone, or this expiry's
    reminder was already claimed."""
    card = customer.cards.get(card_id)
    if card is None or reminder_key(card_id, card.exp_month, card.exp_year) in \
            reminders_of(customer):
        return None
    charged = autopay_of(customer).card_to_charge(customer, today)
    on_autopay = charged is not None and charged.card_id == card_id
    customer.trigger_event(ExpiryReminderSent, card_id=card_id, exp_month=card.exp_month,
                           exp_year=card.exp_year, autopay=on_autopay,
                           **customer._stamp(by, idempotency_key, request_hash))
    return Reminder(card_id, card.brand, card.last4, card.exp_month, card.exp_year, on_autopay)


def release_reminder(customer: Customer, reminder: Reminder, error: str, *, by: Provenance,
                     idempotency_key: str | None = None,
                     request_hash: str | None = None) -> None:
    """The e-mail was not sent: the next run tries again."""
    customer.trigger_event(ExpiryReminderFailed, card_id=reminder.card_id,
                           exp_month=reminder.exp_month, exp_year=reminder.exp_year,
                           error=error if is_sealed(error) else error[:200],
                           **customer._stamp(by, idempotency_key, request_hash))

"""Autopay: the customer's recorded agreement to be charged later, and its rules.

Card networks' stored-credential rules let a merchant charge a saved card on
its own initiative only with the customer's prior agreement, so enrolling
records a consent (which text, through which channel, who, when) and every
autopay charge names it. Autopay charges one card: the one the customer
named, or the primary when none was named ("follows the primary").

State lives on the Customer (``autopay_of``); the events are Customer events
with their own topics (domain/autopay_events.py). Charging is in
domain/autopay_charging.py.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import Transcoding

from domain.cards import SavedCard
from domain.errors import (
    CardInUseByAutopay,
    ConsentRequired,
    InvalidCommand,
    NoPrimaryCard,
    OnlinePaymentsDisabled,
)

if TYPE_CHECKING:
    from domain.customer import Customer
    from domain.provenance import Provenance

CHANNELS = ("portal", "phone", "paper", "in_person")
# Declines worth trying the same card again later (the money may be there
# tomorrow, the processor may recover); any other decline will not change.
SOFT_DECLINES = frozenset({"insufficient_funds", "processing_error"})
SELECTIONS = ("primary", "chosen", "autopay", "fallback")


@dataclass(frozen=True)
class Consent:
    consent_id: str
    text_version: str  # which wording of the agreement the customer accepted
    channel: str  # one of CHANNELS
    accepted_at: str  # ISO instant of the AutopayEnabled event
    accepted_by: str  # the actor
    accepted_from: str  # the source


@dataclass(frozen=True)
class Autopay:
    enabled: bool = False
    card_id: str | None = None  # None: follows the primary card
    consent: Consent | None = None

    def card_to_charge(self, customer: Customer, today: date) -> SavedCard | None:
        """The card autopay charges first, if it is saved and unexpired."""
        if not self.enabled:
            return None
        card_id = self.card_id or customer.primary_card_id
        card = customer.cards.get(card_id) if card_id else None
        return card if card is not None and not card.is_expired(today) else None


OFF = Autopay()


@dataclass(frozen=True)
class AutopaySettings:
    """Company-wide: whether a declined charge tries the customer's other
    cards, and the days after the first attempt on which a soft decline is
    retried."""

    fallback_to_other_cards: bool = True
    retry_schedule_days: tuple[int, ...] = (1, 3, 7)


DEFAULT_SETTINGS = AutopaySettings()
MAX_RETRIES = 10
MAX_RETRY_DAY = 60


def check_settings(fallback_to_other_cards: Any, retry_schedule_days: Any) -> AutopaySettings:
    if not isinstance(fallback_to_other_cards, bool):
        raise InvalidCommand("fallback_to_other_cards must be true or false")
    days = list(retry_schedule_days) if isinstance(retry_schedule_days, list | tuple) else None
    if (days is None or len(days) > MAX_RETRIES
            or any(not isinstance(d, int) or isinstance(d, bool) for d in days)
            or any(not 1 <= d <= MAX_RETRY_DAY for d in days)
            or any(a >= b for a, b in zip(days, days[1:], strict=False))):
        raise InvalidCommand(
            f"retry_schedule_days must be at most {MAX_RETRIES} increasing whole days, "
            f"each 1 to {MAX_RETRY_DAY} (days after the first attempt)")
    return AutopaySettings(fallback_to_other_cards, tuple(days))


def check_consent(text_version: Any, channel: Any) -> None:
    if not isinstance(text_version, str) or not 1 <= len(text_version) <= 64 \
            or not text_version.isprintable():
        raise InvalidCommand("consent text_version must be 1-64 printable characters")
    if channel not in CHANNELS:
        raise InvalidCommand(f"consent channel must be one of {', '.join(CHANNELS)}")


# --- state on the Customer ------------------------------------------------------------
# Customers (and their snapshots) from before autopay have none of these
# attributes: each is read with its default, and written when first changed.

def autopay_of(customer: Customer) -> Autopay:
    return customer.__dict__.get("autopay", OFF)


def charges_of(customer: Customer) -> dict[str, Any]:
    """charge id -> AutopayCharge (domain/autopay_charging.py), oldest first."""
    return customer.__dict__.setdefault("autopay_charges", {})


def reminders_of(customer: Customer) -> dict[str, str]:
    """"card id/MM/YYYY" -> ISO instant of the reminder sent for that expiry."""
    return customer.__dict__.setdefault("expiry_reminders", {})


# --- the buttons --------------------------------------------------------------------

def enrol(customer: Customer, *, card_id: str | None, text_version: str | None,
          channel: str | None, consent_id: str, online_payments: bool, today: date,
          by: Provenance, idempotency_key: str | None = None,
          request_hash: str | None = None) -> bool:
    """Turns autopay on (or changes its card) under a new consent. False when
    autopay is already on with this card and this consent's wording and channel."""
    from domain.autopay_events import AutopayEnabled  # noqa: PLC0415 (events need Customer)

    if not online_payments:
        raise OnlinePaymentsDisabled("Online payments are off: autopay cannot be turned on")
    if text_version is None or channel is None:
        raise ConsentRequired("Autopay needs the customer's consent: send consent with "
                              "text_version and channel")
    check_consent(text_version, channel)
    if card_id is None:
        if customer.primary_card_id is None:
            raise NoPrimaryCard("The customer has no primary card for autopay to follow")
        customer.card_to_charge(None, today)  # the primary must be unexpired
    else:
        customer.card_to_charge(card_id, today)  # saved and unexpired
    current = autopay_of(customer)
    if (current.enabled and current.card_id == card_id and current.consent is not None
            and (current.consent.text_version, current.consent.channel) == (text_version,
                                                                            channel)):
        return False
    customer.trigger_event(AutopayEnabled, card_id=card_id, consent_id=consent_id,
                           text_version=text_version, channel=channel,
                           **customer._stamp(by, idempotency_key, request_hash))
    return True


def turn_off(customer: Customer, *, by: Provenance, reason: str = "turned-off",
             idempotency_key: str | None = None, request_hash: str | None = None) -> bool:
    """False when autopay is already off (PUT semantics)."""
    from domain.autopay_events import AutopayDisabled  # noqa: PLC0415

    current = autopay_of(customer)
    if not current.enabled:
        return False
    customer.trigger_event(AutopayDisabled, card_id=current.card_id, reason=reason,
                           **customer._stamp(by, idempotency_key, request_hash))
    return True


def check_card_deletion(customer: Customer, card_id: str, *, force: bool) -> None:
    """Before a card is deleted: the card autopay names, or the last card while
    autopay is on, goes only with force."""
    current = autopay_of(customer)
    if not current.enabled or force:
        return
    if current.card_id == card_id:
        raise CardInUseByAutopay(
            f"Autopay charges card {card_id}; choose another card for autopay first, "
            "or delete with force=true (autopay then follows the primary card)")
    if len(customer.cards) == 1:
        raise CardInUseByAutopay(
            "This is the customer's last card and autopay is on; turn autopay off first, "
            "or delete with force=true (autopay is then turned off)")


def after_card_deletion(customer: Customer, card_id: str, stamp: dict[str, Any]) -> None:
    """After a forced deletion: autopay follows the primary, or is turned off
    when no card is left to follow. Recorded, so the office is told."""
    from domain.autopay_events import AutopayCardChanged, AutopayDisabled  # noqa: PLC0415

    current = autopay_of(customer)
    if not current.enabled:
        return
    if not customer.cards:
        customer.trigger_event(AutopayDisabled, card_id=current.card_id, reason="no-card-left",
                               **stamp)
    elif current.card_id == card_id:
        customer.trigger_event(AutopayCardChanged, from_card_id=card_id, to_card_id=None,
                               reason="card-removed", **stamp)


# --- snapshots ------------------------------------------------------------------------

class AutopayAsDict(Transcoding):
    type = Autopay
    name = "cardledger_autopay"

    def encode(self, obj: Autopay) -> dict[str, Any]:
        return asdict(obj)

    def decode(self, data: dict[str, Any]) -> Autopay:
        consent = data.get("consent")
        return replace(Autopay(**{**data, "consent": None}),
                       consent=Consent(**consent) if consent else None)

"""What each event looks like as a View History row.

Shared by the history projection and by replay, so both describe an event the
same way; they differ only in where they look up a card's brand and last4.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain import autopay_events as autopay
from domain.company import Company
from domain.customer import Customer
from projections.views import HistoryEntry, iso

CardDisplay = Callable[[str], tuple[str, str] | None]  # card id -> (brand, last4)

# event class -> (action, attribute naming the card, attribute giving the detail)
ACTIONS: dict[type, tuple[str, str | None, str | None]] = {
    Customer.CardAdded: ("added", "card_id", None),
    Customer.PrimaryChanged: ("set_primary", "to_card_id", "reason"),
    Customer.CardDeleted: ("deleted", "card_id", "reason"),
    Customer.CardUpdated: ("updated", "card_id", "reason"),
    Customer.CardUpdateIgnored: ("update_ignored", "card_id", "summary"),
    Customer.UnsavedCardDetached: ("unsaved_card_detached", None, "summary"),
    Customer.PaymentSucceeded: ("payment_succeeded", "card_id", "summary"),
    Customer.PaymentFailed: ("payment_failed", "card_id", "summary"),
    Customer.Erased: ("erased", None, None),
    Company.OnlinePaymentsEnabled: ("online_payments_enabled", None, None),
    Company.OnlinePaymentsDisabled: ("online_payments_disabled", None, None),
    autopay.AutopaySettingsChanged: ("autopay_settings_changed", None, "summary"),
    autopay.AutopayEnabled: ("autopay_enabled", "card_id", "summary"),
    autopay.AutopayDisabled: ("autopay_disabled", "card_id", "reason"),
    autopay.AutopayCardChanged: ("autopay_card_changed", "from_card_id", "reason"),
    autopay.AutopayAttemptFinished: ("autopay_attempt", "card_id", "summary"),
    autopay.AutopayChargeSettled: ("autopay_charge", "card_id", "summary"),
    autopay.ExpiryReminderSent: ("expiry_reminder_sent", "card_id", "summary"),
    autopay.ExpiryReminderFailed: ("expiry_reminder_failed", "card_id", "summary"),
}


def displayed_card(event: Any) -> str | None:
    """The card an event's history row shows (its brand and last4), if any."""
    described = ACTIONS.get(type(event))
    card_attr = described[1] if described else None
    card_id: str | None = getattr(event, card_attr) if card_attr else None
    return card_id


def history_entry(event: Any, position: int, display: CardDisplay) -> HistoryEntry | None:
    described = ACTIONS.get(type(event))
    if described is None:
        return None
    action, _, detail_attr = described
    card_id = displayed_card(event)
    brand_last4 = display(card_id) if card_id else None
    return HistoryEntry(
        position=position,
        at=iso(event.timestamp),
        action=action,
        company_id=event.company_id,
        customer_id=getattr(event, "customer_id", ""),
        card_id=card_id,
        brand=brand_last4[0] if brand_last4 else None,
        last4=brand_last4[1] if brand_last4 else None,
        actor=event.actor,
        source=event.source,
        detail=str(getattr(event, detail_attr) or "") if detail_attr else "",
    )

"""Stripe's webhook events about saved cards, verified and read.

Only the card networks' account updater matters to cardledger
(``payment_method.automatically_updated``) and plain
``payment_method.updated``: both carry the card's new last4 and expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import stripe

from domain.errors import DomainError

CARD_EVENTS = {
    "payment_method.automatically_updated": "account-updater",
    "payment_method.updated": "processor-update",
}


class BadSignature(DomainError):
    code = "bad-webhook-signature"
    title = "The webhook's Stripe-Signature does not match its body"


@dataclass(frozen=True)
class CardUpdate:
    event_id: str
    customer_ref: str
    token: str
    last4: str
    exp_month: int
    exp_year: int
    reason: str
    occurred_at: datetime | None = None  # the event's ``created``: orders deliveries


def read_card_update(payload: bytes, signature: str | None, secret: str,
                     tolerance: int) -> CardUpdate | None:
    """The card change a signed event reports; None for events about anything
    else (Stripe expects those acknowledged too). Raises BadSignature for a
    forged, altered or stale event (older than ``tolerance`` seconds)."""
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret, tolerance=tolerance)
    except stripe.SignatureVerificationError:
        raise BadSignature("The Stripe-Signature header does not match the body") from None
    except ValueError:
        raise BadSignature("The webhook body is not a Stripe event") from None
    data = event.to_dict()
    reason = CARD_EVENTS.get(data.get("type", ""))
    method = (data.get("data") or {}).get("object") or {}
    card = method.get("card") or {}
    if reason is None or not method.get("customer") or not card:
        return None
    return CardUpdate(
        event_id=data["id"], customer_ref=method["customer"], token=method["id"],
        last4=str(card.get("last4", "")), exp_month=card.get("exp_month"),
        exp_year=card.get("exp_year"), reason=reason,
        occurred_at=(datetime.fromtimestamp(data["created"], tz=UTC)
                     if isinstance(data.get("created"), int) else None),
    )

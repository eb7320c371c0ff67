"""A saved card as the Customer aggregate remembers it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from eventsourcing.persistence import Transcoding


def is_expired(exp_month: int, exp_year: int, today: date) -> bool:
    # A card is good through the last day of its expiry month.
    return (exp_year, exp_month) < (today.year, today.month)


@dataclass(frozen=True)
class SavedCard:
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
    added_at: datetime
    added_by: str
    added_from: str
    # The customer version that last added or updated the card: the card as
    # it was is the customer replayed to this version. None in snapshots
    # taken before cards carried it.
    version: int | None = None
    # ISO instant of the processor's last change applied to the card (its
    # webhook event's time); None until one carried it.
    processor_changed_at: str | None = None

    def is_expired(self, today: date) -> bool:
        return is_expired(self.exp_month, self.exp_year, today)


class SavedCardAsDict(Transcoding):
    """Lets snapshots of a Customer hold SavedCard values."""

    type = SavedCard
    name = "cardledger_saved_card"

    def encode(self, obj: SavedCard) -> dict[str, Any]:
        return asdict(obj)

    def decode(self, data: dict[str, Any]) -> SavedCard:
        return SavedCard(**data)

"""Row shapes the views answer with, and how an aggregate's state maps to them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from domain.customer import Customer


def iso(ts: datetime) -> str:
    # Fixed width, so text order is time order on both stores.
    return ts.isoformat(timespec="microseconds")


@dataclass(frozen=True)
class CardView:
    id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    funding: str
    is_primary: bool
    added_at: str
    added_by: str
    added_from: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class HistoryEntry:
    position: int
    at: str
    action: str
    company_id: str
    customer_id: str  # "" for company-wide changes (online payments switched)
    card_id: str | None
    brand: str | None
    last4: str | None
    actor: str
    source: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def cards_of(customer: Customer) -> list[CardView]:
    """Current cards, primary first, then newest first: the order the views use."""
    cards = [
        CardView(
            id=c.card_id, brand=c.brand, last4=c.last4, exp_month=c.exp_month,
            exp_year=c.exp_year, funding=c.funding,
            is_primary=c.card_id == customer.primary_card_id,
            added_at=iso(c.added_at), added_by=c.added_by, added_from=c.added_from,
        )
        for c in reversed(customer.cards.values())
    ]
    return sorted(cards, key=lambda c: not c.is_primary)  # stable: keeps newest-first

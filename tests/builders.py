"""Data that tells a right rule from a wrong one.

A rule such as "promote the newest unexpired card" or "primary first, then
newest" gives the same answer as a wrong rule when the customer has one or two
cards. These builders make the distinguishing case the default: three cards
added in a known order, the primary neither the oldest nor the newest, and
(for promotion) the newest one expired by the day in question.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from cardledger.wiring import Runtime
from domain.customer import Customer
from domain.processor import CardDetails
from domain.provenance import Provenance
from tests.domain.scenario import added, made_primary

ADMIN = Provenance("user:admin", "admin")
PORTAL = Provenance("customer:1001", "portal")
OFFICE = Provenance("user:jdoe", "office")


@dataclass(frozen=True)
class ThreeCards:
    """Card ids in the order added; the primary is ``middle``."""

    oldest: str
    middle: str
    newest: str

    @property
    def listed(self) -> list[str]:
        """The card list's order: the primary, then the others newest first."""
        return [self.middle, self.newest, self.oldest]


def three_cards(runtime: Runtime, company: str = "acme", customer: str = "1001",
                by: Provenance = PORTAL) -> ThreeCards:
    """Online payments on; visa, amex, mastercard added in that order; amex made primary."""
    ledger = runtime.ledger
    ledger.set_online_payments(company, True, ADMIN)
    oldest = ledger.add_card(company, customer, "pm_card_visa", by=by).card_id
    middle = ledger.add_card(company, customer, "pm_card_amex", by=by).card_id
    newest = ledger.add_card(company, customer, "pm_card_mastercard", by=by).card_id
    ledger.set_primary(company, customer, middle, by=by)
    return ThreeCards(oldest, middle, newest)


# --- the same shapes for the aggregate alone (tests/domain) -------------------------

# Valid on the scenario's today (2026-11-25), expired by PROMOTION_DAY.
EXPIRES_SOON = CardDetails("discover", "1117", 12, 2026, "fp-expires-soon")
PROMOTION_DAY = date(2027, 1, 5)


def four_cards_newest_expiring() -> list[Callable[[Customer], Any]]:
    """c1, c2, c3, c4 added in order, c2 made primary, c4 expiring before
    PROMOTION_DAY. Deleting c2 then must promote c3: the oldest rule picks c1,
    "newest" without the expiry check picks c4."""
    return [added("c1"), added("c2", "pm_card_amex"), added("c3", "pm_card_mastercard"),
            added("c4", "tok-expires-soon", card=EXPIRES_SOON), made_primary("c2")]

"""What a command did, as its caller is answered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from domain.payments import Payment

if TYPE_CHECKING:
    from domain.customer import Customer


@dataclass(frozen=True)
class Outcome:
    """``card_id``: the card the command was about; ``version``: the customer's
    after it; ``position``: the notification id of its last event (None when
    nothing was appended, e.g. an idempotent replay); ``customer``: the
    customer just after the command, when this call made it (so an answer
    needs no reload), else None."""

    card_id: str | None
    version: int
    position: int | None
    replayed: bool = False
    customer: Customer | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class PaymentOutcome:
    """``replayed``: this call did not start the payment (a retry)."""

    payment: Payment
    version: int
    position: int | None
    replayed: bool = False

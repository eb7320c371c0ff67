"""What a command did, as its caller is answered."""

from __future__ import annotations

from dataclasses import dataclass

from domain.payments import Payment


@dataclass(frozen=True)
class Outcome:
    """``card_id``: the card the command was about; ``version``: the customer's
    after it; ``position``: the notification id of its last event (None when
    nothing was appended, e.g. an idempotent replay)."""

    card_id: str | None
    version: int
    position: int | None
    replayed: bool = False


@dataclass(frozen=True)
class PaymentOutcome:
    """``replayed``: this call did not start the payment (a retry)."""

    payment: Payment
    version: int
    position: int | None
    replayed: bool = False

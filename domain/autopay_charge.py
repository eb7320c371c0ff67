"""An autopay charge as the Customer aggregate remembers it.

One charge (one invoice, one Idempotency-Key) makes attempts: the autopay
card first, then, with fallback on, the customer's other unexpired cards, in
rounds: round 0 when the office asks, round n when the n-th scheduled retry
is made. Each attempt is recorded before its card is charged, as invoice
payments are (domain/paying.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from eventsourcing.persistence import Transcoding

from domain.ids import derived_id

STATUSES = ("in_progress", "succeeded", "failed", "retry_scheduled")


@dataclass(frozen=True)
class AutopayAttempt:
    attempt_id: str
    card_id: str
    processor_token: str
    selection: str  # "autopay" (the round's first card) or "fallback"
    round: int
    in_flight_until: str  # ISO instant; until then nobody else may send it
    outcome: str | None = None  # None (not answered yet), "succeeded", "declined"
    decline_code: str | None = None
    processor_payment_id: str | None = None

    @property
    def soft_decline(self) -> bool:
        from domain.autopay import SOFT_DECLINES  # noqa: PLC0415

        return self.outcome == "declined" and self.decline_code in SOFT_DECLINES


@dataclass(frozen=True)
class AutopayCharge:
    charge_id: str
    invoice_id: str
    amount: int
    currency: str
    consent_id: str
    request_hash: str
    started_at: str  # ISO instant of the first attempt's round
    status: str = "in_progress"  # one of STATUSES
    round: int = 0
    attempts: tuple[AutopayAttempt, ...] = ()
    next_retry_at: str | None = None
    failure_code: str | None = None  # why a charge failed without a decline to show

    @property
    def open_attempt(self) -> AutopayAttempt | None:
        """The attempt sent (or about to be) whose answer is not recorded yet."""
        last = self.attempts[-1] if self.attempts else None
        return last if last is not None and last.outcome is None else None

    @property
    def this_round(self) -> list[AutopayAttempt]:
        return [a for a in self.attempts if a.round == self.round]

    @property
    def payment_method_id(self) -> str | None:
        """The card that paid, else the last card tried."""
        paid = [a for a in self.attempts if a.outcome == "succeeded"]
        last = paid[-1] if paid else (self.attempts[-1] if self.attempts else None)
        return last.card_id if last else None

    @property
    def holds_invoice(self) -> bool:
        return self.status != "failed"

    def with_attempt(self, attempt_id: str, **changes: Any) -> AutopayCharge:
        return replace(self, attempts=tuple(
            replace(a, **changes) if a.attempt_id == attempt_id else a for a in self.attempts))


def charge_id_for(company_id: str, customer_id: str, idempotency_key: str) -> str:
    return derived_id("apc_", f"autopay/{company_id}/{customer_id}/{idempotency_key}")


def attempt_id_for(charge_id: str, number: int) -> str:
    """Letters only, like every id cardledger makes (domain/ids.py)."""
    return derived_id("apa_", f"{charge_id}/{number}")


class AutopayChargeAsDict(Transcoding):
    """Lets snapshots of a Customer hold autopay charges."""

    type = AutopayCharge
    name = "cardledger_autopay_charge"

    def encode(self, obj: AutopayCharge) -> dict[str, Any]:
        return asdict(obj)

    def decode(self, data: dict[str, Any]) -> AutopayCharge:
        attempts = tuple(AutopayAttempt(**a) for a in data.pop("attempts"))
        return AutopayCharge(**data, attempts=attempts)

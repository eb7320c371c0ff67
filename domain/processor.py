"""The processor port: how the application service learns about cards.

Domain objects never call it; the application service does, before it runs
a command, so no database transaction is open during a network call.
Implementations live outside the domain (``cardledger.processors``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

DECLINE_CODES = (
    "generic_decline",
    "insufficient_funds",
    "expired_card",
    "authentication_required",
    "processing_error",
)


@dataclass(frozen=True)
class CardDetails:
    """What the processor tells us about a tokenised card. Never a number."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int
    fingerprint: str
    funding: str = "credit"
    country: str = ""
    cardholder_name: str | None = None
    # The processor's lasting id for the card when the token given was an
    # alias (Stripe's test tokens such as pm_card_visa make a new card each use).
    payment_method_id: str | None = None


@dataclass(frozen=True)
class AttachedCard:
    """A card the processor holds for a customer, as reconciliation compares it."""

    token: str  # the processor's handle (Stripe: pm_...)
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    created: int | None = None  # unix seconds the processor made it, when it says


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    processor_payment_id: str | None = None
    decline_code: str | None = None  # one of DECLINE_CODES when not succeeded


@dataclass(frozen=True)
class ChargeLimits:
    """What a processor accepts in one currency, in the currency's ISO 4217
    minor units (domain/currencies.py), whatever unit the processor itself uses."""

    minimum: int = 1
    maximum: int = 99_999_999
    step: int = 1  # an amount must be a whole multiple of this


class Processor(Protocol):
    """Raises UnknownToken for tokens it does not know, CardDeclined when the
    processor refuses to keep a card, and ProcessorUnavailable for timeouts and
    processor-side failures."""

    # The currencies it charges in (lower-case ISO 4217 codes) and the amounts
    # it accepts in each. Read before anything is recorded; no network call.
    currencies: Mapping[str, ChargeLimits]

    def retrieve(self, token: str) -> CardDetails: ...

    def create_customer(self, company_id: str, customer_id: str) -> str:
        """A new processor-side customer that names its cardledger owner;
        returns its reference (Stripe: cus_...)."""
        ...

    def customer_owner(self, customer_ref: str) -> tuple[str, str] | None:
        """(company id, customer id) a processor customer was created for."""
        ...

    def attach(self, customer_ref: str, token: str) -> None: ...

    def detach(self, token: str) -> None: ...

    def attached_cards(self, customer_ref: str) -> list[AttachedCard]:
        """Every card attached to the processor customer now (reconciliation)."""
        ...

    def charge(
        self,
        token: str,
        amount: int,
        currency: str,
        invoice_id: str,
        idempotency_key: str,
        customer_ref: str | None = None,
        attempt_id: str | None = None,
    ) -> ChargeResult:
        """Charges off-session ``amount`` ISO minor units of ``currency`` (one
        the processor's ``currencies`` accepts; it converts to its own unit).
        ``attempt_id`` is stored with the processor's payment so that
        find_charge can tell later whether money moved."""
        ...

    def find_charge(self, attempt_id: str, customer_ref: str | None) -> ChargeResult | None:
        """The outcome of an earlier charge made with this attempt id, or None
        if the processor never charged for it. Must not rely on idempotency keys."""
        ...

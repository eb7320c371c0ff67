"""Invoice payments as the Customer aggregate remembers them.

A payment is started (recorded) before the processor is asked to charge, and
finished with the processor's answer. The payment id is derived from the
caller's Idempotency-Key, so a retry always finds the attempt it belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from eventsourcing.persistence import Transcoding

from domain.currencies import MINOR_UNITS
from domain.errors import (
    IdempotencyKeyRequired,
    InvalidAmount,
    InvalidCommand,
    UnsupportedCurrency,
)
from domain.ids import check_external_id, derived_id
from domain.processor import ChargeLimits

CURRENCY = re.compile(r"^[a-z]{3}$")  # ISO 4217, lower case as Stripe spells it
MAX_AMOUNT = 99_999_999  # the API's largest amount in minor units (Stripe's 8 digits)
MAX_KEY_LENGTH = 255  # Stripe's own limit for idempotency keys


@dataclass(frozen=True)
class Payment:
    payment_id: str
    invoice_id: str
    amount: int
    currency: str
    card_id: str
    processor_token: str
    started_at: str  # ISO instant of the PaymentStarted event
    in_flight_until: str  # ISO instant; until then a retry must not charge again
    additional: bool = False  # the caller paid an invoice that was already paid, on purpose
    selection: str = "unrecorded"  # why this card (domain/customer.py SELECTIONS)
    card_version: int | None = None  # the card as charged: the customer at this version
    status: str = "started"  # started, succeeded, failed
    processor_payment_id: str | None = None
    decline_code: str | None = None
    finished_at: str | None = None

    @property
    def finished(self) -> bool:
        return self.status != "started"

    def answers(self, invoice_id: str, amount: int, currency: str, card_id: str | None,
                additional: bool) -> bool:
        """Whether a request with these fields is the one that started this
        payment: how a retry is recognised once its idempotency receipt has
        expired (the payment id, derived from the key, outlives it)."""
        return ((self.invoice_id, self.amount, self.currency, self.additional)
                == (invoice_id, amount, currency, additional)
                and card_id in (None, self.card_id))

    @property
    def holds_invoice(self) -> bool:
        """Succeeded, or started and not finished (the charge may be in flight):
        either way the invoice is taken care of. A failed payment is not."""
        return self.status in ("started", "succeeded")

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["processor_token"]  # the processor's handle, not for callers
        return data


class PaymentAsDict(Transcoding):
    """Lets snapshots of a Customer hold Payment values."""

    type = Payment
    name = "cardledger_payment"

    def encode(self, obj: Payment) -> dict[str, Any]:
        return asdict(obj)

    def decode(self, data: dict[str, Any]) -> Payment:
        return Payment(**data)


def payment_id_for(company_id: str, customer_id: str, idempotency_key: str) -> str:
    """Same key, same customer: same payment id, in every process, forever."""
    return derived_id("pay_", f"{company_id}/{customer_id}/{idempotency_key}")


def check_payment_request(invoice_id: str, amount: int, currency: str,
                          idempotency_key: str | None) -> str:
    """Raises InvalidCommand for a malformed request; returns the key. What
    can be charged (check_chargeable) is asked only of a new payment: a retry
    answers or settles the payment its key started, under the rules of then."""
    check_external_id(invoice_id, "invoice id")
    # bool is an int in Python; True must not pay one cent.
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= MAX_AMOUNT:
        raise InvalidAmount(f"amount must be a whole number of minor units, 1 to {MAX_AMOUNT}")
    if not isinstance(currency, str) or not CURRENCY.match(currency):
        if isinstance(currency, str) and currency.lower() in MINOR_UNITS:
            raise InvalidCommand(f"currency codes are lower case: {currency.lower()}, "
                                 f"not {currency}")
        raise InvalidCommand("currency must be an ISO 4217 code in lower case, e.g. usd")
    if not idempotency_key or not isinstance(idempotency_key, str):
        raise IdempotencyKeyRequired(
            "A payment needs an Idempotency-Key, so a retry never pays twice")
    if len(idempotency_key) > MAX_KEY_LENGTH or not idempotency_key.isprintable():
        raise InvalidCommand(f"the Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters")
    return idempotency_key


def check_chargeable(amount: int, currency: str, chargeable: Mapping[str, ChargeLimits]) -> None:
    """A current ISO 4217 currency the processor charges in, and an amount of
    its minor units within what the processor accepts there."""
    if currency not in MINOR_UNITS:
        raise UnsupportedCurrency(f"{currency} is not an ISO 4217 currency code")
    limits = chargeable.get(currency)
    if limits is None:
        raise UnsupportedCurrency(f"The payment processor does not charge in {currency}")
    if amount % limits.step:
        raise InvalidAmount(f"Amounts in {currency} are whole multiples of {limits.step} minor "
                            f"units ({major(limits.step, currency)})")
    if amount < limits.minimum:
        raise InvalidAmount(f"The smallest charge in {currency} is {limits.minimum} minor units "
                            f"({major(limits.minimum, currency)})")
    if amount > limits.maximum:
        raise InvalidAmount(f"The largest charge in {currency} is {limits.maximum} minor units "
                            f"({major(limits.maximum, currency)})")


def major(amount: int, currency: str) -> str:
    """12345 usd -> '123.45 usd', 500 jpy -> '500 jpy', 1230 kwd -> '1.230 kwd'."""
    exponent = MINOR_UNITS[currency]
    if not exponent:
        return f"{amount} {currency}"
    whole, fraction = divmod(amount, 10**exponent)
    return f"{whole}.{fraction:0{exponent}d} {currency}"

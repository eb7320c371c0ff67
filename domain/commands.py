"""The commands cardledger takes, as values: what to do, never how.

A command names the customer and the change; a ``Stamp`` says who asked, from
where, and under which Idempotency-Key. ``CardLedger.run`` takes both and does
the rest (load, decide, save, retry; domain/service.py). ``request()`` is the
part of a command an Idempotency-Key is bound to: its hash is recorded with
the key, and a reused key with another request is refused. These tuples are
fixed forever, since hashes of stored events must keep matching retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from domain.provenance import Provenance


@dataclass(frozen=True)
class Stamp:
    """Who asked, from where, and the request's Idempotency-Key (if any)."""

    by: Provenance
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Receipt:
    """What every event of one command carries about the request: who, and
    the key and request hash a retry is recognised by."""

    by: Provenance
    idempotency_key: str | None
    request_hash: str | None

    def fields(self) -> dict[str, Any]:
        """As the aggregate's command methods take them."""
        return {"by": self.by, "idempotency_key": self.idempotency_key,
                "request_hash": self.request_hash}


@dataclass(frozen=True, kw_only=True)
class CustomerCommand:
    company_id: str
    customer_id: str
    # Whether the command may create the customer's stream (else 404 without one).
    creates_customer: ClassVar[bool] = False
    # Whether the command runs on an erased customer (to answer, never to
    # change); every other command is refused with CustomerErased.
    runs_after_erasure: ClassVar[bool] = False

    def request(self) -> tuple[Any, ...] | None:
        """The request an Idempotency-Key is bound to; None: the command takes no key."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class RegisterCustomer(CustomerCommand):
    creates_customer: ClassVar[bool] = True

    def request(self) -> None:
        return None  # registering twice changes nothing anyway


@dataclass(frozen=True, kw_only=True)
class AddCard(CustomerCommand):
    token: str
    make_primary: bool = False
    creates_customer: ClassVar[bool] = True

    def request(self) -> tuple[Any, ...]:
        return ("add_card", self.token, self.make_primary)


@dataclass(frozen=True, kw_only=True)
class MakePrimary(CustomerCommand):
    card_id: str

    def request(self) -> tuple[Any, ...]:
        return ("set_primary", self.card_id)


@dataclass(frozen=True, kw_only=True)
class DeleteCard(CustomerCommand):
    card_id: str
    force: bool = False  # also the card autopay charges (docs/autopay.md)

    def request(self) -> tuple[Any, ...]:
        # ``force`` only when true, so requests from before it hash as they did.
        return ("delete_card", self.card_id, *([{"force": True}] if self.force else []))


@dataclass(frozen=True, kw_only=True)
class RecordCardUpdate(CustomerCommand):
    """A saved card changed at the processor; the processor's event id is the key."""

    token: str
    last4: str
    exp_month: int
    exp_year: int
    reason: str
    # When the processor made the change (Stripe's event ``created``): an
    # update older than the card's last one is recorded as ignored. Not part
    # of request(): the processor's event id already names the request.
    occurred_at: datetime | None = None

    def request(self) -> tuple[Any, ...]:
        return ("update_card", self.token, self.last4, self.exp_month, self.exp_year)


@dataclass(frozen=True, kw_only=True)
class PayInvoice(CustomerCommand):
    invoice_id: str
    amount: int
    currency: str
    card_id: str | None = None
    additional: bool = False

    def request(self) -> tuple[Any, ...]:
        # ``additional`` only when true, so requests from before it hash as they did.
        parts: tuple[Any, ...] = ("pay_invoice", self.invoice_id, self.amount, self.currency,
                                  self.card_id)
        return (*parts, {"additional": True}) if self.additional else parts


@dataclass(frozen=True, kw_only=True)
class EnrolAutopay(CustomerCommand):
    """Autopay on, charging ``card_id`` (None: the primary), under a consent."""

    card_id: str | None
    consent_text_version: str | None
    consent_channel: str | None

    def request(self) -> tuple[Any, ...]:
        return ("enrol_autopay", self.card_id, self.consent_text_version, self.consent_channel)


@dataclass(frozen=True, kw_only=True)
class TurnOffAutopay(CustomerCommand):
    def request(self) -> tuple[Any, ...]:
        return ("turn_off_autopay",)


@dataclass(frozen=True, kw_only=True)
class EraseCustomer(CustomerCommand):
    """Erase the customer: cards detached and deleted, personal data unreadable."""

    runs_after_erasure: ClassVar[bool] = True  # erasing twice answers the first

    def request(self) -> tuple[Any, ...]:
        return ("erase_customer",)


@dataclass(frozen=True, kw_only=True)
class ChargeAutopay(CustomerCommand):
    """A merchant-initiated charge of an invoice (domain/autopay_charging.py)."""

    invoice_id: str
    amount: int
    currency: str

    def request(self) -> tuple[Any, ...]:
        return ("charge_autopay", self.invoice_id, self.amount, self.currency)


@dataclass(frozen=True, kw_only=True)
class ClaimExpiryReminder(CustomerCommand):
    """Claims the expiry reminder for one card's current expiry (domain/reminders.py)."""

    card_id: str

    def request(self) -> None:
        return None  # the claim itself is the guard: one reminder per card per expiry


@dataclass(frozen=True, kw_only=True)
class ReleaseExpiryReminder(CustomerCommand):
    """The claimed reminder's e-mail could not be sent."""

    card_id: str
    exp_month: int
    exp_year: int
    error: str

    def request(self) -> None:
        return None

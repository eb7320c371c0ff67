"""The public message format on the Kafka topic: a versioned JSON envelope.

One module builds it (the relay) and parses it (every consumer), so the
contract is written down once. Office systems depend on these field names;
changing one means a new ``ENVELOPE_VERSION`` and a new topic.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from domain.personal_data import PERSONAL_FIELDS

ENVELOPE_VERSION = 1

# Fixed forever: event ids derived from it are what consumers de-duplicate on.
EVENT_ID_NAMESPACE = UUID("0c1f7f4e-2b7d-4d59-8f43-6a4b3c2d1e90")

TOPIC_PREFIX = "cardledger/"
_LETTERS = "abcdefghijklmnopqrstuvwxyz"

_CARD = ("card_id", "brand", "last4", "exp_month", "exp_year", "funding", "country",
         "cardholder_name")
_PAYMENT = ("payment_id", "invoice_id", "amount", "currency", "card_id")
# Every customer and company event carries its link in its stream's hash chain
# (domain/chain.py): a digest of the event, no personal data, published so an
# office or auditor can check the chain outside cardledger (docs/audit.md).
_LINK = ("chain_link",)
# What each event type publishes in ``data``: an allow-list, so a field added to
# an event stays inside cardledger until someone decides to publish it (and
# adds it to the event's JSON Schema under contracts/). Never listed:
# processor_token, fingerprint and processor_customer_id identify a card or
# customer at the processor (not card numbers, but office systems have no use
# for them and a leaked token is one more thing to rotate); idempotency_key and
# request_hash are command plumbing, not facts; a mail server's error text
# (ExpiryReminderFailed.error) may quote the customer's address. Personal
# fields (domain/personal_data.py PERSONAL_FIELDS: the cardholder's name) are
# never published: a message on a topic cannot be erased later. CardAdded
# keeps ``cardholder_name`` in its schema, always null, because v1 of the
# contract listed it (removing it would be a new envelope version). Erased
# tells office systems to drop what they hold of the customer
# (docs/erasure.md). An event type missing here is published
# with an empty ``data`` (tests/kafka/test_event_contract.py keeps every event
# class listed).
PUBLISHED: dict[str, tuple[str, ...]] = {
    "Customer.Registered": _LINK,
    "Customer.Erased": _LINK,
    "Customer.CardAdded": (*_CARD, *_LINK),
    "Customer.PrimaryChanged": ("from_card_id", "to_card_id", "reason", *_LINK),
    "Customer.CardDeleted": ("card_id", "reason", *_LINK),
    "Customer.CardUpdated": ("card_id", "last4", "exp_month", "exp_year", "reason",
                             "processor_changed_at", *_LINK),
    "Customer.CardUpdateIgnored": ("card_id", "last4", "exp_month", "exp_year", "reason",
                                   "processor_changed_at", "card_changed_at", *_LINK),
    "Customer.UnsavedCardDetached": _LINK,
    "Customer.ProcessorCustomerLinked": _LINK,
    "Customer.PaymentStarted": (*_PAYMENT, "in_flight_until", "additional", "selection",
                                "card_version", *_LINK),
    "Customer.PaymentSucceeded": (*_PAYMENT, "processor_payment_id", "decline_code", *_LINK),
    "Customer.PaymentFailed": (*_PAYMENT, "processor_payment_id", "decline_code", *_LINK),
    "Customer.AutopayEnabled": ("card_id", "consent_id", "text_version", "channel", *_LINK),
    "Customer.AutopayDisabled": ("card_id", "reason", *_LINK),
    "Customer.AutopayCardChanged": ("from_card_id", "to_card_id", "reason", *_LINK),
    "Customer.AutopayChargeStarted": ("charge_id", "invoice_id", "amount", "currency",
                                      "consent_id", "initiated_by", "started_at", *_LINK),
    "Customer.AutopayAttemptStarted": ("charge_id", "attempt_id", "card_id", "selection",
                                       "card_version", "consent_id", "round",
                                       "in_flight_until", *_LINK),
    "Customer.AutopayAttemptTakenOver": ("charge_id", "attempt_id", "in_flight_until", *_LINK),
    "Customer.AutopayAttemptFinished": ("charge_id", "attempt_id", "card_id", "outcome",
                                        "decline_code", "processor_payment_id", *_LINK),
    "Customer.AutopayChargeSettled": ("charge_id", "invoice_id", "amount", "currency", "status",
                                      "card_id", "next_retry_at", "failure_code", *_LINK),
    "Customer.AutopayRetryStarted": ("charge_id", "round", *_LINK),
    "Customer.ExpiryReminderSent": ("card_id", "exp_month", "exp_year", "autopay", *_LINK),
    "Customer.ExpiryReminderFailed": ("card_id", "exp_month", "exp_year", *_LINK),
    "Company.Registered": _LINK,
    "Company.OnlinePaymentsEnabled": _LINK,
    "Company.OnlinePaymentsDisabled": _LINK,
    "Company.AutopaySettingsChanged": ("fallback_to_other_cards", "retry_schedule_days",
                                       *_LINK),
    # Store-wide: the signed checkpoints that pin every stream's chain head.
    "Checkpoints.Opened": (),
    "Checkpoints.Signed": ("position", "heads", "previous", "key_id", "signature"),
}

_REQUIRED = ("envelope_version", "event_id", "type", "topic", "schema_version", "company_id",
             "customer_id", "aggregate_id", "aggregate_version", "position", "occurred_at",
             "actor", "source", "data")


class BadEnvelope(ValueError):
    """The bytes are not an envelope this code understands."""


def _plain(value: Any) -> str:
    """Event fields are primitives today; should one ever hold an instant, a
    uuid or a decimal, it goes out as text instead of stopping the relay."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, UUID | Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no JSON form in the envelope")


def event_id(aggregate_id: UUID | str, aggregate_version: int) -> str:
    """The same event always gets the same id, however often it is re-sent.
    Letters only (``evt_`` and 26 letters from the uuid5's 128 bits), like every
    id cardledger makes: a hex uuid holds a Luhn-valid 13+ digit run about 3
    times in 1,000, which would look like a card number to anyone scanning."""
    digest = uuid5(EVENT_ID_NAMESPACE, f"{aggregate_id}/{aggregate_version}").int
    letters = []
    for _ in range(26):
        digest, letter = divmod(digest, 26)
        letters.append(_LETTERS[letter])
    return "evt_" + "".join(letters)


@dataclass(frozen=True)
class Envelope:
    envelope_version: int
    event_id: str
    type: str  # e.g. "Customer.CardAdded"
    topic: str  # the stored event's topic, e.g. "cardledger/Customer.CardAdded"
    schema_version: int  # the event class's class_version
    company_id: str
    customer_id: str | None  # None for company-wide events
    aggregate_id: str
    aggregate_version: int
    position: int  # notification id in cardledger's event store
    occurred_at: str  # ISO-8601, UTC, microseconds
    actor: str
    source: str
    data: dict[str, Any]

    @property
    def key(self) -> bytes:
        # One aggregate's events share a key, so they share a partition and keep their order.
        return self.aggregate_id.encode()

    @property
    def headers(self) -> list[tuple[str, bytes]]:
        return [("type", self.type.encode()), ("position", str(self.position).encode())]

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True,
                          default=_plain).encode()

    @classmethod
    def from_bytes(cls, raw: bytes | None) -> Envelope:
        try:
            fields = json.loads(raw or b"")
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise BadEnvelope(f"not JSON: {e}") from None
        if not isinstance(fields, dict):
            raise BadEnvelope("not a JSON object")
        missing = [name for name in _REQUIRED if name not in fields]
        if missing:
            raise BadEnvelope(f"missing {', '.join(missing)}")
        if fields["envelope_version"] != ENVELOPE_VERSION:
            raise BadEnvelope(f"unsupported envelope_version {fields['envelope_version']!r}")
        if not isinstance(fields["data"], dict):
            raise BadEnvelope("data is not an object")
        return cls(**{name: fields[name] for name in _REQUIRED})


def envelope_of(event: Any, topic: str, position: int) -> Envelope:
    """The public envelope of a stored domain event at ``position``."""
    fields = vars(event)
    message_type = topic.removeprefix(TOPIC_PREFIX)
    data = {name: None if name in PERSONAL_FIELDS else fields[name]
            for name in PUBLISHED.get(message_type, ()) if name in fields}
    return Envelope(
        envelope_version=ENVELOPE_VERSION,
        event_id=event_id(event.originator_id, event.originator_version),
        type=message_type,
        topic=topic,
        schema_version=int(getattr(type(event), "class_version", 1)),
        company_id=fields["company_id"],
        customer_id=fields.get("customer_id"),
        aggregate_id=str(event.originator_id),
        aggregate_version=event.originator_version,
        position=position,
        occurred_at=event.timestamp.isoformat(timespec="microseconds"),
        actor=fields["actor"],
        source=fields["source"],
        data=data,
    )

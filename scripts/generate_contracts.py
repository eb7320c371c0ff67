"""Writes the event contract under contracts/ from the code, so it cannot drift.

    python -m scripts.generate_contracts            # rewrite contracts/events/*.json, asyncapi.json
    python -m scripts.generate_contracts --check    # exit 1 naming stale files (the tests do this)
    python -m scripts.generate_contracts --publish  # also freeze them as contracts/published/:
                                                    # the copy compatibility is checked against

One JSON Schema (2020-12) per message type, built from the envelope
(consumers/envelope.py: its fields and the allow-list ``PUBLISHED``) and the
event classes' field types (domain/), and one AsyncAPI 3 document that
describes the topic, keys, headers, delivery, ordering and the dead-letter
topic, with those schemas inline.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import shutil
import sys
import types
import typing
from pathlib import Path
from typing import Any

from eventsourcing.domain import Aggregate

from cardledger.settings import Settings
from consumers.envelope import ENVELOPE_VERSION, PUBLISHED, TOPIC_PREFIX
from domain.provenance import ACTOR, SOURCES

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
EVENTS = CONTRACTS / "events"
PUBLISHED_COPY = CONTRACTS / "published"
SCHEMA_ID = "https://cardledger.dev/contracts/events/"

_JSON_TYPES = {str: "string", int: "integer", bool: "boolean", float: "number"}

FIELD_NOTES = {
    "card_id": "cardledger's id of the saved card (`card_` and letters)",
    "brand": "visa, mastercard, amex, discover, ...",
    "last4": "the card number's last four digits",
    "funding": "credit, debit, prepaid or unknown",
    "country": "the issuing country, ISO 3166-1 alpha-2",
    "cardholder_name": "always null: personal data is never published (docs/erasure.md); "
                       "kept in the schema because v1 of the contract listed it",
    "reason": "why, in the event's words (see docs/events.md)",
    "from_card_id": "the previous primary card; null for the first card",
    "to_card_id": "the new primary card",
    "payment_id": "cardledger's id of the payment (`pay_` and letters)",
    "invoice_id": "the company's invoice id",
    "amount": "in the currency's minor units",
    "currency": "ISO 4217, lower case",
    "in_flight_until": "ISO-8601 instant: until then a retry waits instead of charging",
    "additional": "paid on purpose although the invoice was already paid (v2; false for v1)",
    "processor_payment_id": "the processor's id of the charge, when it made one",
    "decline_code": "why it failed; null when it succeeded",
    "chain_link": "the event's link in its stream's hash chain (SHA-256 over the previous "
                  "link and the whole stored event, in letters, docs/audit.md); kept outside "
                  "cardledger it witnesses the history: a stream rewritten later no longer matches the links "
                  "published when it happened. Null on events stored before links existed",
    "selection": "why this card: primary, chosen, autopay, fallback; unrecorded for payments "
                 "started before v3",
    "card_version": "the customer's version when the card was chosen; null before v3",
    "processor_changed_at": "ISO-8601 instant the processor says the card changed; null when "
                            "it did not say",
    "card_changed_at": "ISO-8601 instant of the card's newer change that this one lost to",
    "charge_id": "cardledger's id of the autopay charge (`apc_` and letters)",
    "attempt_id": "one try of a charge on one card",
    "consent_id": "the consent the customer gave, that autopay charges under",
    "text_version": "the version of the consent text the customer agreed to",
    "channel": "how the customer agreed: portal, phone, paper, in_person",
    "round": "1 for the first round of attempts, then one per scheduled retry",
    "next_retry_at": "ISO-8601 instant of the next scheduled retry; null when none",
    "position": "the checkpoint covers the event log up to this notification id",
    "initiated_by": "merchant: charged off-session under the consent",
    "started_at": "ISO-8601 instant the charge began; retries are due days after it",
    "outcome": "succeeded or declined",
    "status": "the charge after the round: succeeded, retry_scheduled or failed",
    "failure_code": "why the round failed; null when it succeeded",
    "autopay": "the e-mail said autopay charges this card",
    "retry_schedule_days": "days after the first try that a failed charge is retried",
    "heads": "one [aggregate id, company id, customer id or null, version, chain link or "
             "null] per stream that changed since the previous checkpoint",
    "previous": "the previous checkpoint's signature, so none can be dropped",
    "key_id": "which signing key (its public half: docs/audit.md)",
    "signature": "HMAC-SHA256 of position, heads, previous and key_id with the key named "
                 "key_id, in letters (whoever holds that key can verify it)",
}


MESSAGE_NOTES = {
    "Customer.Registered": "The customer exists (registered by the office, or with its first card)",
    "Customer.CardAdded": "A card was saved for the customer (as the processor's token)",
    "Customer.Erased": "The customer was erased (a GDPR or CCPA request): drop what you hold "
                       "of them. Their cards were deleted by the CardDeleted events just "
                       "before (reason customer-erased); nothing more follows for them",
    "Customer.PrimaryChanged": "Another card became the primary one",
    "Customer.CardDeleted": "A saved card was deleted",
    "Customer.CardUpdated": "The processor reported a new expiry or number ending for a card",
    "Customer.ProcessorCustomerLinked": "The customer got its processor-side customer "
                                        "(nothing of it is published)",
    "Customer.PaymentStarted": "A payment was recorded before the processor was asked to charge",
    "Customer.PaymentSucceeded": "The charge succeeded",
    "Customer.PaymentFailed": "The charge failed, or was never sent (decline_code says why)",
    "Company.Registered": "The company exists",
    "Company.OnlinePaymentsEnabled": "An admin switched Online Payments on for the company",
    "Company.OnlinePaymentsDisabled": "An admin switched Online Payments off for the company",
    "Company.AutopaySettingsChanged": "An admin changed the company's autopay fallback and "
                                      "retry schedule",
    "Customer.CardUpdateIgnored": "The processor reported a card change older than the one "
                                  "already recorded; the card was left as it was",
    "Customer.UnsavedCardDetached": "Reconciliation detached at the processor a card that was "
                                    "never saved here (nothing of the card is published)",
    "Customer.AutopayEnabled": "Autopay was turned on (or moved to another card) under the "
                               "customer's consent",
    "Customer.AutopayDisabled": "Autopay was turned off (by request, or no card was left)",
    "Customer.AutopayCardChanged": "Autopay moved off a card that was deleted",
    "Customer.AutopayChargeStarted": "A merchant-initiated charge of an invoice began",
    "Customer.AutopayAttemptStarted": "One try of an autopay charge on one card was recorded "
                                      "before the processor was asked",
    "Customer.AutopayAttemptTakenOver": "An attempt whose sender went quiet was taken over "
                                        "by another process",
    "Customer.AutopayAttemptFinished": "The processor answered one attempt",
    "Customer.AutopayChargeSettled": "A round of attempts ended: paid, or failed with the "
                                     "next retry if one is scheduled",
    "Customer.AutopayRetryStarted": "A scheduled retry round of a failed charge began",
    "Customer.ExpiryReminderSent": "The customer was e-mailed that a card expires soon",
    "Customer.ExpiryReminderFailed": "The expiry reminder could not be sent (the reason stays "
                                     "inside cardledger: it may name the address)",
    "Checkpoints.Opened": "The store's checkpoint stream began (store-wide, company `*`)",
    "Checkpoints.Signed": "A signed checkpoint pins the chain heads up to a position "
                          "(store-wide, company `*`)",
}


def aggregates() -> list[type]:
    """Every aggregate in domain/ (each module imported, so a new one is found)."""
    import domain

    for module in pkgutil.iter_modules(domain.__path__):
        importlib.import_module(f"domain.{module.name}")
    found, pending = [], list(Aggregate.__subclasses__())
    while pending:
        aggregate = pending.pop()
        pending.extend(aggregate.__subclasses__())
        if aggregate.__module__.startswith("domain."):
            found.append(aggregate)
    return sorted(found, key=lambda a: a.__name__)


def event_classes() -> dict[str, type]:
    """Message type (``Customer.CardAdded``) -> the stored event class: the
    event classes nested in each aggregate, and their subclasses defined in
    other domain modules (autopay's Customer events)."""
    candidates: set[type] = set()
    for aggregate in aggregates():
        pending = [v for v in vars(aggregate).values() if isinstance(v, type)]
        while pending:
            value = pending.pop()
            candidates.add(value)
            pending.extend(value.__subclasses__())
    found = {}
    for value in candidates:
        topic = getattr(value, "TOPIC", "")
        # Never stored themselves: a base class (each aggregate's Event,
        # PaymentFinished) and the library's default Created, which takes
        # Event's topic.
        if topic.startswith(TOPIC_PREFIX) and value.__module__.startswith("domain.") and \
                value.__name__ not in ("Event", "Created") and not value.__subclasses__():
            found[topic.removeprefix(TOPIC_PREFIX)] = value
    return dict(sorted(found.items()))


def _json_type(hint: Any) -> dict[str, Any]:
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint)
        return {"type": "array", "items": {} if item is Any else _json_type(item)}
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        kinds = [_JSON_TYPES[a] if a is not type(None) else "null" for a in typing.get_args(hint)]
        return {"type": kinds}
    return {"type": _JSON_TYPES[hint]}


def data_schema(event: type, fields: tuple[str, ...]) -> dict[str, Any]:
    hints = typing.get_type_hints(event)
    properties = {}
    for name in fields:
        properties[name] = _json_type(hints[name])
        if name in FIELD_NOTES:
            properties[name]["description"] = FIELD_NOTES[name]
    return {"type": "object", "properties": properties, "required": list(fields),
            "additionalProperties": False}


# The jobs no person runs (source "scheduler": `cardledger autopay-retry`,
# `cardledger remind-expiring`) record only these types. Every other type keeps
# the sources it was published with: a new value in a published enum would be
# refused by a consumer that validates against the schema it was written for.
SCHEDULED = frozenset({
    "Customer.AutopayRetryStarted", "Customer.AutopayAttemptStarted",
    "Customer.AutopayAttemptTakenOver", "Customer.AutopayAttemptFinished",
    "Customer.AutopayChargeSettled", "Customer.ExpiryReminderSent",
    "Customer.ExpiryReminderFailed"})


def sources_of(message_type: str) -> list[str]:
    return [s for s in SOURCES if s != "scheduler" or message_type in SCHEDULED]


def message_schema(message_type: str, event: type) -> dict[str, Any]:
    company_wide = "customer_id" not in typing.get_type_hints(event)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_ID}{message_type}.schema.json",
        "title": message_type,
        "description": MESSAGE_NOTES[message_type],
        "type": "object",
        "properties": {
            "envelope_version": {"const": ENVELOPE_VERSION},
            "event_id": {"type": "string", "pattern": "^evt_[a-z]{26}$",
                         "description": "Stable across re-sends: de-duplicate on it"},
            "type": {"const": message_type},
            "topic": {"const": TOPIC_PREFIX + message_type},
            "schema_version": {"const": int(getattr(event, "class_version", 1)),
                               "description": "The event's class_version"},
            "company_id": {"type": "string", "minLength": 1, "maxLength": 64},
            "customer_id": ({"type": "null", "description": "Company-wide event"
                             if message_type.startswith("Company.") else "Store-wide event"}
                            if company_wide else {"type": "string", "minLength": 1,
                                                  "maxLength": 64}),
            "aggregate_id": {"type": "string", "format": "uuid",
                             "description": "The stream, also the Kafka key"},
            "aggregate_version": {"type": "integer", "minimum": 1,
                                  "description": "1, 2, 3, ... with no gaps per aggregate"},
            "position": {"type": "integer", "minimum": 1,
                         "description": "Order in cardledger's store (one store)"},
            "occurred_at": {"type": "string", "format": "date-time"},
            "actor": {"type": "string", "pattern": ACTOR.pattern},
            "source": {"enum": sources_of(message_type)},
            "data": data_schema(event, PUBLISHED[message_type]),
        },
        "required": ["envelope_version", "event_id", "type", "topic", "schema_version",
                     "company_id", "customer_id", "aggregate_id", "aggregate_version",
                     "position", "occurred_at", "actor", "source", "data"],
        "additionalProperties": False,
    }


def schemas() -> dict[str, dict[str, Any]]:
    return {name: message_schema(name, event) for name, event in sorted(event_classes().items())}


DELIVERY = """Every event cardledger stores is published, in the store's order, by one relay
(`cardledger relay`).

- **At least once.** The relay advances its position only after the broker
  acknowledged a whole batch (acks=all), so a crash re-sends, never loses.
  De-duplicate on `event_id` (stable across re-sends) or on
  (`aggregate_id`, `aggregate_version`).
- **Key = the aggregate id**: a customer's events share a key, so they share a
  partition and arrive in `aggregate_version` order (1, 2, 3, ... no gaps). A
  company's switch (`Company.*`) has the company's aggregate id as its key.
- **No order across keys.** Events of different customers, and a company's
  Online Payments switch against its customers' events, may be read in any
  order, since they are on different partitions. A consumer that needs "was
  online payments on when this card was added?" must not infer it from the
  order of arrival: compare `position` (one global order within one store),
  or ask cardledger.
- **Adding partitions** moves keys; publish to a new topic instead.
- **Schemas.** `data` carries only the fields listed per type (an allow-list);
  new optional fields may appear in `data` (ignore fields you do not know);
  removing or retyping a field means envelope_version 2 on a new topic (`.v2`).
  `schema_version` is the event's class_version: older stored events are
  upcast before they are published, so a type's messages always have its
  current shape.
- **Dead letters.** A consumer parks a message it cannot handle (not an
  envelope, or failing 3 times) on the dead-letter topic with headers `error`,
  `source-topic`, `source-partition`, `source-offset`, `consumer-group`, and
  moves on."""


def _message_name(message_type: str) -> str:
    return message_type.replace(".", "")


def asyncapi(settings: Settings | None = None) -> dict[str, Any]:
    settings = settings or Settings(_env_file=None)  # type: ignore[call-arg]
    by_type = schemas()
    messages = {}
    for message_type, schema in by_type.items():
        payload = {k: v for k, v in schema.items() if k not in ("$schema", "$id")}
        messages[_message_name(message_type)] = {
            "name": message_type, "title": message_type, "summary": schema["description"],
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/EventHeaders"},
            "payload": payload,
            "bindings": {"kafka": {"key": {"type": "string", "format": "uuid",
                                           "description": "The aggregate id"},
                                   "bindingVersion": "0.5.0"}},
        }
    channel_messages = {name: {"$ref": f"#/components/messages/{name}"} for name in messages}
    return {
        "asyncapi": "3.1.0",
        "info": {"title": "cardledger events", "version": f"{ENVELOPE_VERSION}.0.0",
                 "description": DELIVERY},
        "defaultContentType": "application/json",
        "servers": {"kafka": {"host": "kafka:9092", "protocol": "kafka",
                              "description": "CARDLEDGER_KAFKA_BOOTSTRAP"}},
        "channels": {
            "paymentMethods": {
                "address": settings.kafka_topic,
                "description": "Every event of every customer and company, JSON envelopes",
                "messages": channel_messages,
                "bindings": {"kafka": {"partitions": settings.kafka_topic_partitions,
                                       "replicas": settings.kafka_replication_factor,
                                       "topicConfiguration": {"retention.ms": -1},
                                       "bindingVersion": "0.5.0"}},
            },
            "deadLetter": {
                "address": settings.kafka_dead_letter_topic,
                "description": "Messages a consumer could not handle, as they were, with "
                               "the reason in the headers",
                "messages": {"parked": {"$ref": "#/components/messages/Parked"}},
            },
        },
        "operations": {
            "publishEvents": {
                "action": "send", "channel": {"$ref": "#/channels/paymentMethods"},
                "summary": "The relay publishes each stored event, at least once, in order "
                           "per key",
                "messages": [{"$ref": f"#/channels/paymentMethods/messages/{name}"}
                             for name in messages],
            },
            "parkPoisonMessages": {
                "action": "send", "channel": {"$ref": "#/channels/deadLetter"},
                "summary": "A consumer parks a message it cannot handle, then moves on",
                "messages": [{"$ref": "#/channels/deadLetter/messages/parked"}],
            },
        },
        "components": {
            "schemas": {
                "EventHeaders": {"type": "object", "properties": {
                    "type": {"type": "string", "description": "The message type"},
                    "position": {"type": "string", "pattern": "^[0-9]+$",
                                 "description": "The envelope's position, as text"}}},
                "ParkedHeaders": {"type": "object", "properties": {
                    name: {"type": "string"} for name in (
                        "error", "source-topic", "source-partition", "source-offset",
                        "consumer-group")}},
            },
            "messages": {**messages, "Parked": {
                "name": "Parked", "title": "A parked message",
                "summary": "The original key, value and headers, plus why it was parked",
                "headers": {"$ref": "#/components/schemas/ParkedHeaders"},
                "payload": {"description": "The original bytes, unchanged"}}},
        },
    }


def files() -> dict[Path, str]:
    out = {EVENTS / f"{name}.schema.json": _dump(schema) for name, schema in schemas().items()}
    out[CONTRACTS / "asyncapi.json"] = _dump(asyncapi())
    return out


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


def stale() -> list[str]:
    written = {p for p in EVENTS.glob("*.json")} | {CONTRACTS / "asyncapi.json"}
    expected = files()
    return sorted(str(p.relative_to(ROOT)) for p in written | expected.keys()
                  if expected.get(p) != (p.read_text() if p.exists() else None))


def main(argv: list[str]) -> int:
    if "--check" in argv:
        outdated = stale()
        for path in outdated:
            print(f"{path} is stale: run python -m scripts.generate_contracts", file=sys.stderr)
        return 1 if outdated else 0
    EVENTS.mkdir(parents=True, exist_ok=True)
    for old in EVENTS.glob("*.json"):
        old.unlink()
    for path, text in files().items():
        path.write_text(text)
    if "--publish" in argv:
        shutil.rmtree(PUBLISHED_COPY, ignore_errors=True)
        shutil.copytree(EVENTS, PUBLISHED_COPY / "events")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

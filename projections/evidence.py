"""The evidence pack of one payment: its story in one document, for a
chargeback reply or an auditor (docs/audit.md).

Read from the customer's events alone (never the views): the payment's
attempts and outcomes, the card as it was when charged, why that card, the
history up to the payment's last event, and the chain links with the signed
checkpoint that pins them, so the pack can be checked without trusting the
database it came from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from eventsourcing.application import Application

from domain.chain import start_of
from domain.checkpoints import CHECKPOINTS_ID, CheckpointKey, Checkpoints
from domain.customer import Customer
from domain.errors import NoSuchPayment
from domain.ids import customer_aggregate_id
from domain.personal_data import PERSONAL_FIELDS
from domain.service import CardLedger
from projections.chain_check import checkpoint_refusal, stream_links
from projections.views import iso

# What an evidence pack never shows: processor handles and command plumbing.
PRIVATE_FIELDS = frozenset({"processor_token", "processor_customer_id", "idempotency_key",
                            "request_hash", "chain_link"})
_LIBRARY_FIELDS = frozenset({"originator_id", "originator_version", "originator_topic",
                             "timestamp"})
Reveal = Callable[[str, Any], Any]
OUTCOMES = {Customer.PaymentStarted: "started", Customer.PaymentSucceeded: "succeeded",
            Customer.PaymentFailed: "failed"}


def evidence_pack(ledger: CardLedger, company_id: str, customer_id: str, payment_id: str,
                  keys: Mapping[str, CheckpointKey]) -> dict[str, Any]:
    events = ledger.customer_events(company_id, customer_id)
    mine = [e for e in events if type(e) in OUTCOMES and e.payment_id == payment_id]
    if not mine or not isinstance(mine[0], Customer.PaymentStarted):
        raise NoSuchPayment(f"No payment {payment_id} for customer {customer_id}")
    started: Customer.PaymentStarted = mine[0]
    last_version = mine[-1].originator_version
    before = ledger.get_customer(company_id, customer_id, version=started.originator_version - 1)

    def reveal(field: str, value: Any) -> Any:
        # Personal fields are stored sealed (domain/personal_data.py): shown in
        # the clear while the customer's key lives, as null once erased.
        return ledger.personal_data.reveal(company_id, customer_id, field, value)

    erased = next((e for e in events if isinstance(e, Customer.Erased)), None)
    return {
        "company_id": company_id,
        "customer_id": customer_id,
        # Set when the customer was erased since: personal fields then read null.
        "erased_at": iso(erased.timestamp) if erased else None,
        "payment": _payment(started, mine),
        "card": _card(before, started.card_id, reveal),
        "selection": {"how": started.selection, "card_version": started.card_version},
        "consent": None,  # autopay's consent, once autopay records one (issue 13)
        "history": [_entry(e, reveal) for e in events if e.originator_version <= last_version],
        "chain": _chain(ledger, customer_aggregate_id(company_id, customer_id), last_version,
                        keys),
    }


def _payment(started: Customer.PaymentStarted, mine: list[Any]) -> dict[str, Any]:
    last = mine[-1]
    return {
        "payment_id": started.payment_id, "invoice_id": started.invoice_id,
        "amount": started.amount, "currency": started.currency,
        "additional": started.additional,
        "status": OUTCOMES[type(last)],
        "attempts": [{
            "version": e.originator_version, "event": OUTCOMES[type(e)], "at": iso(e.timestamp),
            "actor": e.actor, "source": e.source, "card_id": e.card_id,
            "processor_payment_id": getattr(e, "processor_payment_id", None),
            "decline_code": getattr(e, "decline_code", None),
        } for e in mine],
    }


def _card(before: Customer, card_id: str, reveal: Reveal) -> dict[str, Any]:
    card = before.cards[card_id]  # a card is charged only while saved
    return {
        "card_id": card.card_id, "brand": card.brand, "last4": card.last4,
        "exp_month": card.exp_month, "exp_year": card.exp_year,
        "fingerprint": card.fingerprint, "funding": card.funding, "country": card.country,
        "cardholder_name": reveal("cardholder_name", card.cardholder_name),
        "added_at": iso(card.added_at),
        "added_by": card.added_by, "added_from": card.added_from,
        "was_primary": before.primary_card_id == card_id, "version": card.version,
    }


def _entry(event: Any, reveal: Reveal) -> dict[str, Any]:
    fields = vars(event)
    return {
        "version": event.originator_version,
        "type": type(event).TOPIC.removeprefix("cardledger/"),
        "at": iso(event.timestamp),
        "actor": fields.get("actor"),
        "source": fields.get("source"),
        "data": {k: reveal(k, v) if k in PERSONAL_FIELDS else v for k, v in fields.items()
                 if k not in PRIVATE_FIELDS | _LIBRARY_FIELDS
                 and k not in ("actor", "source", "company_id", "customer_id")},
    }


def _chain(app: Application[Any], stream: Any, last_version: int,
           keys: Mapping[str, CheckpointKey]) -> dict[str, Any]:
    """The links from the stream's start to the checkpoint that pins the
    payment (or to the payment, when none pins it yet)."""
    links, problems = stream_links(app, stream)
    checkpoint = _pinning_checkpoint(app, stream, last_version, keys)
    until = checkpoint["pinned_version"] if checkpoint else last_version
    return {
        "stream": str(stream),
        "start": start_of(stream),
        "links": [{"version": v, "link": link} for v, link in links if v <= until],
        "intact": not [p for p in problems if p.version is not None and p.version <= until],
        "problems": [str(p) for p in problems],
        "checkpoint": checkpoint,
    }


def _pinning_checkpoint(app: Application[Any], stream: Any, version: int,
                        keys: Mapping[str, CheckpointKey]) -> dict[str, Any] | None:
    """The first valid checkpoint that names this stream at ``version`` or later."""
    previous: str | None = None
    for stored in app.recorder.select_events(CHECKPOINTS_ID):
        checkpoint = app.mapper.to_domain_event(stored)
        if not isinstance(checkpoint, Checkpoints.Signed):
            continue
        refused = checkpoint_refusal(checkpoint, keys, previous)
        previous = checkpoint.signature
        if refused:
            continue
        for head in checkpoint.heads:
            if head[0] == str(stream) and head[3] >= version:
                return {
                    "number": checkpoint.originator_version, "position": checkpoint.position,
                    "signed_at": iso(checkpoint.timestamp), "pinned_version": head[3],
                    "pinned_link": head[4], "key_id": checkpoint.key_id,
                    "signature": checkpoint.signature, "previous": checkpoint.previous,
                    # verified here, with the key; other streams' heads are not shown
                    "signature_verified": True,
                }
    return None

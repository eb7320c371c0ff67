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

from domain.autopay_events import (
    AutopayAttemptFinished,
    AutopayAttemptStarted,
    AutopayAttemptTakenOver,
    AutopayChargeSettled,
    AutopayChargeStarted,
    AutopayEnabled,
    AutopayRetryStarted,
)
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
AUTOPAY_STEPS = (AutopayChargeStarted, AutopayAttemptStarted, AutopayAttemptTakenOver,
                 AutopayAttemptFinished, AutopayChargeSettled, AutopayRetryStarted)
OUTCOMES = {Customer.PaymentStarted: "started", Customer.PaymentSucceeded: "succeeded",
            Customer.PaymentFailed: "failed"}


def evidence_pack(ledger: CardLedger, company_id: str, customer_id: str, payment_id: str,
                  keys: Mapping[str, CheckpointKey]) -> dict[str, Any]:
    """The pack of an invoice payment (``pay_...``) or of an autopay charge
    (``apc_...``): the same document, whichever way the card was charged."""
    events = ledger.customer_events(company_id, customer_id)

    def reveal(field: str, value: Any) -> Any:
        # Personal fields are stored sealed (domain/personal_data.py): shown in
        # the clear while the customer's key lives, as null once erased.
        return ledger.personal_data.reveal(company_id, customer_id, field, value)

    def card_at(version: int, card_id: str) -> dict[str, Any]:
        return _card(ledger.get_customer(company_id, customer_id, version=version), card_id,
                     reveal)

    charge = [e for e in events if type(e) in AUTOPAY_STEPS and e.charge_id == payment_id]
    if charge:
        told = _autopay(charge, events, card_at)
    else:
        told = _invoice_payment(events, payment_id, customer_id, card_at)
    last_version = told.pop("last_version")
    erased = next((e for e in events if isinstance(e, Customer.Erased)), None)
    return {
        "company_id": company_id,
        "customer_id": customer_id,
        # Set when the customer was erased since: personal fields then read null.
        "erased_at": iso(erased.timestamp) if erased else None,
        **told,
        "history": [_entry(e, reveal) for e in events if e.originator_version <= last_version],
        "chain": _chain(ledger, customer_aggregate_id(company_id, customer_id), last_version,
                        keys),
    }


CardAt = Callable[[int, str], dict[str, Any]]


def _invoice_payment(events: list[Any], payment_id: str, customer_id: str,
                     card_at: CardAt) -> dict[str, Any]:
    mine = [e for e in events if type(e) in OUTCOMES and e.payment_id == payment_id]
    if not mine or not isinstance(mine[0], Customer.PaymentStarted):
        raise NoSuchPayment(f"No payment {payment_id} for customer {customer_id}")
    started: Customer.PaymentStarted = mine[0]
    card = card_at(started.originator_version - 1, started.card_id)
    return {
        "kind": "invoice",
        "payment": _payment(started, mine),
        "card": card,
        "cards": [card],
        "selection": {"how": started.selection, "card_version": started.card_version},
        "consent": None,  # a customer-initiated payment needs none
        "last_version": mine[-1].originator_version,
    }


def _autopay(charge: list[Any], events: list[Any], card_at: CardAt) -> dict[str, Any]:
    """A merchant-initiated charge: every attempt of every round (autopay's
    card, then the fallbacks), each card as it was when chosen, and the
    consent it was charged under."""
    started = charge[0]
    attempts: dict[str, dict[str, Any]] = {}
    status = "in_progress"
    for e in charge:
        if isinstance(e, AutopayAttemptStarted):
            attempts[e.attempt_id] = {
                "attempt_id": e.attempt_id, "round": e.round, "card_id": e.card_id,
                "selection": e.selection, "card_version": e.card_version,
                "started_at": iso(e.timestamp), "actor": e.actor, "source": e.source,
                "outcome": None, "decline_code": None, "processor_payment_id": None,
                "finished_at": None}
        elif isinstance(e, AutopayAttemptFinished):
            attempts[e.attempt_id].update(
                outcome=e.outcome, decline_code=e.decline_code,
                processor_payment_id=e.processor_payment_id, finished_at=iso(e.timestamp))
        elif isinstance(e, AutopayChargeSettled):
            status = e.status
    tried = list(attempts.values())
    # The card that paid, else the last one tried.
    deciding = next((a for a in tried if a["outcome"] == "succeeded"), tried[-1] if tried else None)
    cards = [card_at(a["card_version"], a["card_id"]) for a in tried]  # one replay each
    consent = next((e for e in events if isinstance(e, AutopayEnabled)
                    and e.consent_id == started.consent_id
                    and e.originator_version < started.originator_version), None)
    return {
        "kind": "autopay",
        "payment": {
            "payment_id": started.charge_id, "invoice_id": started.invoice_id,
            "amount": started.amount, "currency": started.currency,
            "initiated_by": started.initiated_by, "status": status,
            "attempts": tried,
        },
        "card": cards[tried.index(deciding)] if deciding else None,
        "cards": cards,
        "selection": ({"how": deciding["selection"], "card_version": deciding["card_version"]}
                      if deciding else None),
        "consent": None if consent is None else {
            "consent_id": consent.consent_id, "text_version": consent.text_version,
            "channel": consent.channel, "given_at": iso(consent.timestamp),
            "given_by": consent.actor, "given_from": consent.source,
            "version": consent.originator_version},
        "last_version": charge[-1].originator_version,
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
    """The card as it was just before it was charged (a card is charged only
    while saved)."""
    card = before.cards[card_id]
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

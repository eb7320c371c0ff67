"""What this release stores still reads: every Company and Customer event type
and a Customer snapshot, at the class versions they are stored at now.

``stored_by_2026_11.json`` holds them exactly as cardledger wrote them (commit
in the file): company acme switched online payments on, then off; customer 1001
added a Visa, an Amex and a Mastercard, made the Amex primary, had the Visa
updated at the processor to 03/2036 and then an older update (01/2035)
ignored, paid INV-1 (1250 usd, on the Amex), added a card that declines and
paid INV-2 with it (990 eur, declined), had an unsaved Discover detached at
the processor, and the office deleted the Amex. Never rewrite the file: a new
``class_version`` comes with an upcaster and a file of its own, and this one
must keep reading. (A class_version raised without an upcaster fails here.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from cardledger.processors.sandbox import SandboxProcessor
from domain.service import CardLedger

STORED = json.loads((Path(__file__).parent / "stored_by_2026_11.json").read_text())
MAPPER = CardLedger(processor=SandboxProcessor()).mapper


def read(name: str) -> list[Any]:
    return [MAPPER.to_domain_event(StoredEvent(
        originator_id=UUID(row["originator_id"]), originator_version=row["originator_version"],
        topic=row["topic"], state=row["state"].encode())) for row in STORED[name]]


def folded(events: list[Any]) -> Any:
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def test_the_company_events_stored_now_read_back_as_the_switch_off() -> None:
    events = read("company")
    assert [type(e).__name__ for e in events] == [
        "Registered", "OnlinePaymentsEnabled", "OnlinePaymentsDisabled"]
    company = folded(events)
    assert (company.company_id, company.online_payments, company.version) == ("acme", False, 3)


def test_every_customer_event_type_stored_now_reads_back_into_the_customer_it_made() -> None:
    events = read("customer")
    assert {type(e).__name__ for e in events} == {
        "Registered", "CardAdded", "PrimaryChanged", "ProcessorCustomerLinked", "CardUpdated",
        "CardUpdateIgnored", "PaymentStarted", "PaymentSucceeded", "PaymentFailed",
        "UnsavedCardDetached", "CardDeleted"}
    customer = folded(events)
    cards = [(c.brand, c.last4, c.exp_month, c.exp_year) for c in customer.cards.values()]
    assert cards == [("visa", "4242", 3, 2036), ("mastercard", "4444", 12, 2034),
                     ("visa", "0341", 12, 2034)]
    assert customer.cards[customer.primary_card_id].last4 == "0341"  # the newest, after the Amex
    payments = [(p.invoice_id, p.amount, p.currency, p.status, p.decline_code, p.selection)
                for p in customer.payments.values()]
    assert payments == [("INV-1", 1250, "usd", "succeeded", None, "primary"),
                        ("INV-2", 990, "eur", "failed", "generic_decline", "chosen")]
    assert (customer.processor_customer_id, customer.version) == ("cus_sandbox.acme.1001", 17)


def test_a_customer_snapshot_stored_now_reads_back_as_the_customer_its_events_make() -> None:
    [snapshot] = read("snapshot")
    customer = snapshot.mutate(None)
    assert customer.version == 17
    assert vars(customer) == vars(folded(read("customer")))

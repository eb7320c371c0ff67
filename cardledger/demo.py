"""The seed's story, end to end, for a newcomer to watch."""

from __future__ import annotations

from collections.abc import Callable

from cardledger.wiring import Runtime
from domain.ids import random_id
from domain.provenance import Provenance
from projections.views import CardView, HistoryEntry

COMPANY = "acme-plumbing"


def run_demo(runtime: Runtime, say: Callable[[str], None]) -> str:
    """Returns the customer id it used (fresh each run, so runs never collide)."""
    ledger, views, projector = runtime.ledger, runtime.read_model, runtime.projector
    customer = random_id("demo-", 6)
    admin = Provenance("user:admin", "admin")
    office = Provenance("user:jdoe", "office")
    me = Provenance(f"customer:{customer}", "portal")

    say(f"1. The office creates customer {customer} of company {COMPANY}.")
    ledger.register_customer(COMPANY, customer, office)
    say("2. An admin switches on Settings > Invoicing > Online Payments.")
    ledger.set_online_payments(COMPANY, True, admin)
    say("3. The customer saves a Visa in the portal (it becomes primary: first card).")
    visa = ledger.add_card(COMPANY, customer, "pm_card_visa", by=me)
    say("4. ...and a Mastercard.")
    mastercard = ledger.add_card(COMPANY, customer, "pm_card_mastercard", by=me)
    say("5. The customer sets the Mastercard as primary.")
    ledger.set_primary(COMPANY, customer, mastercard.card_id, by=me)
    say("6. The office deletes the Visa.")
    last = ledger.delete_card(COMPANY, customer, visa.card_id, by=office)

    projector.wait_for(last.position, timeout=10)
    version, cards = views.card_list(COMPANY, customer) or (0, [])
    say(f"\nPayment Methods (customer version {version}):")
    for card in cards:
        say("  " + _card_line(card))
    say("\nView History (newest first):")
    for entry in views.history(COMPANY, customer) or []:
        say("  " + _history_line(entry))
    return customer


def _card_line(card: CardView) -> str:
    primary = "  PRIMARY" if card.is_primary else ""
    return (f"{card.brand.title():<11} **** {card.last4}  exp {card.exp_month:02d}/{card.exp_year}"
            f"  added {card.added_at[:19]} by {card.added_by}{primary}")


def _history_line(entry: HistoryEntry) -> str:
    card = f"{entry.brand.title()} **** {entry.last4}" if entry.brand else "-"
    detail = f" ({entry.detail})" if entry.detail else ""
    return (f"{entry.at[:19]}  {entry.action + detail:<32} {card:<22} "
            f"by {entry.actor:<28} from {entry.source}")

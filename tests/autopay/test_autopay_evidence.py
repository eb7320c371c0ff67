"""The evidence pack of an autopay charge, on both stores: given a charge that
fell back from autopay's declining card to another, when the office asks for
its evidence, then one document names every attempt, each card as it was when
chosen, and the consent the charge was made under (issue 15)."""

from __future__ import annotations

from api.evidence_page import render
from cardledger.wiring import Runtime
from projections.evidence import evidence_pack
from tests.autopay.support import COMPANY, CUSTOMER, charge, customer_with

SOFT = "pm_card_chargeDeclinedInsufficientFunds"


def test_the_pack_of_a_fallback_charge_names_both_attempts_and_the_consent(
        runtime: Runtime) -> None:
    # Given autopay on a card that declines, with fallback on, and a good primary
    primary, declining = customer_with(runtime, "pm_card_visa", SOFT, autopay_card=1)
    consent = runtime.ledger.autopay.of(COMPANY, CUSTOMER)[0].consent
    assert consent is not None
    # When the office charges, and asks for the charge's evidence
    outcome = charge(runtime)
    assert outcome.charge.status == "succeeded"
    pack = evidence_pack(runtime.ledger, COMPANY, CUSTOMER, outcome.charge.charge_id, {})
    # Then both attempts are named, in order, with why each card and what happened
    assert pack["kind"] == "autopay"
    assert pack["payment"]["payment_id"] == outcome.charge.charge_id
    assert (pack["payment"]["status"], pack["payment"]["initiated_by"]) == (
        "succeeded", "merchant")
    assert [(a["card_id"], a["selection"], a["outcome"], a["decline_code"])
            for a in pack["payment"]["attempts"]] == [
        (declining, "autopay", "declined", "insufficient_funds"),
        (primary, "fallback", "succeeded", None)]
    # And the card that paid is the fallback, as it was when chosen; both cards shown
    assert (pack["card"]["card_id"], pack["card"]["last4"]) == (primary, "4242")
    assert [c["card_id"] for c in pack["cards"]] == [declining, primary]
    assert pack["selection"]["how"] == "fallback"
    # And the consent is the one recorded when autopay was turned on
    assert pack["consent"] is not None
    assert (pack["consent"]["consent_id"], pack["consent"]["text_version"],
            pack["consent"]["channel"], pack["consent"]["given_by"]) == (
        consent.consent_id, "autopay-terms-v3", "portal", f"customer:{CUSTOMER}")
    # And the history runs up to the charge's last event, which the chain covers
    types = [e["type"] for e in pack["history"]]
    assert types[-1] == "Customer.AutopayChargeSettled"
    assert "Customer.AutopayEnabled" in types
    assert pack["chain"]["intact"] is True
    # And the printable page shows the attempts and the consent
    page = render(pack)
    assert "Autopay charge evidence" in page
    assert page.count(declining) >= 2 and consent.consent_id in page

"""The evidence pack read from the store (projections/evidence.py), for what
the HTTP tests (tests/api/test_evidence.py) cannot arrange: events of the
customer's between a payment's start and its outcome."""

from __future__ import annotations

import pytest

from cardledger.checkpoints import make_checkpoints
from cardledger.wiring import Runtime
from domain.checkpoints import CheckpointKey
from domain.provenance import Provenance
from projections.evidence import evidence_pack
from tests.payments.faults import CrashAfterCharge, SimulatedCrash

ME = Provenance("customer:1001", "portal")
ADMIN = Provenance("user:admin", "admin")
KEY = CheckpointKey("k1", b"a checkpoint signing key")


def test_the_pack_shows_the_card_as_it_was_when_the_payment_started(runtime: Runtime) -> None:
    # given a Visa (4242, expiring 12/2034), a payment whose process died after
    # the charge, the account updater then giving the card a new number and
    # expiry, and the payment recovered by its retry
    ledger = runtime.ledger
    sandbox = ledger.processor
    ledger.set_online_payments("acme", True, ADMIN)
    visa = ledger.add_card("acme", "1001", "pm_card_visa", by=ME).card_id
    payment = {"invoice_id": "INV-1", "amount": 1250, "currency": "usd",
               "idempotency_key": "key-1"}
    ledger.processor = CrashAfterCharge(sandbox)
    with pytest.raises(SimulatedCrash):
        ledger.pay_invoice("acme", "1001", by=ME, **payment)
    ledger.record_processor_update("cus_sandbox.acme.1001", "pm_card_visa", last4="1881",
                                   exp_month=3, exp_year=2036, reason="account-updater",
                                   event_id="evt_1")
    ledger.processor = sandbox
    paid = ledger.pay_invoice("acme", "1001", by=ME, **payment)
    # when its evidence pack is made
    pack = evidence_pack(ledger, "acme", "1001", paid.payment.payment_id, keys={})
    # then the payment succeeded, and the card is the one charged, not the updated one
    events = [e["type"] for e in pack["history"]][-3:]
    assert events == ["Customer.PaymentStarted", "Customer.CardUpdated",
                      "Customer.PaymentSucceeded"], events
    assert pack["payment"]["status"] == "succeeded"
    card = pack["card"]
    assert (card["card_id"], card["last4"], card["exp_month"], card["exp_year"]) == (
        visa, "4242", 12, 2034)


def test_a_checkpoint_made_right_after_the_payment_pins_it(runtime: Runtime) -> None:
    # given a paid invoice, the customer's last event, and then a checkpoint
    ledger = runtime.ledger
    ledger.set_online_payments("acme", True, ADMIN)
    ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    paid = ledger.pay_invoice("acme", "1001", by=ME, invoice_id="INV-1", amount=1250,
                              currency="usd", idempotency_key="key-1")
    assert make_checkpoints(ledger, KEY)
    # when its evidence pack is made
    pack = evidence_pack(ledger, "acme", "1001", paid.payment.payment_id, keys={"k1": KEY})
    # then that checkpoint pins the payment's last event, exactly
    checkpoint = pack["chain"]["checkpoint"]
    assert checkpoint is not None
    assert checkpoint["pinned_version"] == paid.version == pack["history"][-1]["version"]
    assert checkpoint["signature_verified"] is True

"""Erasing a customer (GDPR Art. 17, CCPA): the decision and the command's handler.

What erasure records, in one append: each saved card deleted (reason
``customer-erased``), autopay turned off and any scheduled autopay retry
settled as failed, then ``Erased``. Office systems that know only the older
events still drop the cards. Before the append the handler detaches the cards
at the processor and destroys the customer's personal-data key
(domain/personal_data.py): fail closed, so a crash in between leaves a
customer whose names are already unreadable and whose erasure a retry
completes. Amounts, dates, actions and card facts stay: they are the payment
record (docs/erasure.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.commands import EraseCustomer, Receipt
from domain.customer import Customer
from domain.errors import ErasureBlocked, UnknownToken
from domain.handlers import Handler
from domain.provenance import Provenance

if TYPE_CHECKING:
    from domain.basis import Basis
    from domain.ledger_port import Ledger

REASON = "customer-erased"


def check_erasable(customer: Customer) -> None:
    """Money first: a payment whose outcome is not recorded could never be
    recorded after the erasure (the stream takes no more events), so it is
    finished first, by retrying it with its Idempotency-Key."""
    from domain.autopay import charges_of  # noqa: PLC0415 (autopay's events import Customer)

    unfinished = [p.payment_id for p in customer.payments.values() if not p.finished]
    unfinished += [c.charge_id for c in charges_of(customer).values()
                   if c.status == "in_progress"]
    if unfinished:
        raise ErasureBlocked(
            f"Payments not finished: {', '.join(unfinished)}; retry each with its "
            "Idempotency-Key (or wait for the autopay worker), then erase")


def erase(customer: Customer, *, by: Provenance, idempotency_key: str | None = None,
          request_hash: str | None = None) -> None:
    """Records the erasure; nothing when the customer was already erased."""
    from domain import autopay  # noqa: PLC0415
    from domain.autopay_events import AutopayChargeSettled  # noqa: PLC0415

    if customer.erased_at is not None:
        return
    check_erasable(customer)
    stamp = customer._stamp(by, idempotency_key, request_hash)
    for charge in list(autopay.charges_of(customer).values()):
        if charge.status == "retry_scheduled":
            customer.trigger_event(
                AutopayChargeSettled, charge_id=charge.charge_id, invoice_id=charge.invoice_id,
                amount=charge.amount, currency=charge.currency, status="failed",
                card_id=None, next_retry_at=None, failure_code=REASON, **stamp)
    autopay.turn_off(customer, by=by, reason=REASON, idempotency_key=idempotency_key,
                     request_hash=request_hash)
    for card_id in list(customer.cards):
        customer.trigger_event(customer.CardDeleted, card_id=card_id, reason=REASON, **stamp)
    customer.trigger_event(customer.Erased, **stamp)


class EraseCustomerHandler(Handler):
    """Checks, detaches every card at the processor, destroys the key, then
    records. A processor failure stops it before anything is destroyed or
    recorded (ProcessorUnavailable: retry); a card already detached counts as
    detached. Retried after a lost race from a fresh load, like every command."""

    may_decide_on_memory = False  # the key it destroys cannot come back

    def __init__(self, ledger: Ledger, command: EraseCustomer) -> None:
        super().__init__(ledger)
        self.command = command
        self.detached: set[str] = set()  # processor tokens, across retries

    def decide(self, customer: Customer, receipt: Receipt, basis: Basis) -> None:
        if customer.erased_at is not None:
            return None
        check_erasable(customer)
        for card in customer.cards.values():
            if card.processor_token not in self.detached:
                try:
                    self.ledger.processor.detach(card.processor_token)
                except UnknownToken:
                    pass  # detached already (a try before, reconcile, the dashboard)
                self.detached.add(card.processor_token)
        self.ledger.personal_data.forget(customer.company_id, customer.customer_id)
        erase(customer, **receipt.fields())
        return None

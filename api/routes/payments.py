"""Paying a customer's invoices with a saved card, and the payments made.

A payment always needs an Idempotency-Key: a retry with the same key answers
the first payment and never charges again (how: domain/paying.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import ActorHeader, Principal, provenance_of, require
from api.commands import IdempotencyKeyHeader, outcome_headers, settle
from api.params import CompanyPath, CustomerPath
from api.problems import Problem, documented
from api.routing import InspectedRoute
from api.runtime import RuntimeDep
from domain.errors import PaymentInProgress
from domain.paying import PaymentOutcome
from domain.payments import MAX_AMOUNT, Payment
from domain.service import Outcome

router = APIRouter(prefix="/v1/companies/{company}/customers/{customer}/payments",
                   tags=["payments"],
                   route_class=InspectedRoute)

Payer = Annotated[Principal, Depends(require("portal", "office"))]
Reader = Annotated[Principal, Depends(require("portal", "office", "auditor"))]


class PayInvoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                            examples=["INV-1042"])
    amount: int = Field(gt=0, le=MAX_AMOUNT, strict=True,
                        description="In the currency's minor units (cents for usd)",
                        examples=[12500])
    currency: str = Field(pattern=r"^[a-z]{3}$", description="ISO 4217, lower case",
                          examples=["usd"])
    payment_method_id: str | None = Field(
        None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
        description="A saved card's id; the primary card when absent")
    additional: bool = Field(
        False, strict=True,
        description="Pay an invoice that already has a succeeded or in-flight payment again "
                    "(a partial or extra payment). Without it such a payment is 409 "
                    "invoice-already-paid; a failed earlier payment never blocks a new one")


class PaymentRecord(BaseModel):
    id: str
    invoice_id: str
    amount: int
    currency: str
    payment_method_id: str
    additional: bool = Field(description="Paid on purpose although the invoice was already "
                                         "paid or being paid")
    status: Literal["started", "succeeded", "failed"] = Field(
        description="started: the charge's outcome is not recorded yet (retry with the "
                    "same Idempotency-Key to settle it)")
    selection: str = Field(description="Why this card was charged: primary (the customer's "
                                       "primary card), chosen (named in the request), autopay, "
                                       "fallback; unrecorded for payments made before this was "
                                       "recorded")
    card_version: int | None = Field(description="The customer version at which the card "
                                                 "was last added or updated: the card as "
                                                 "charged (docs/audit.md)")
    processor_payment_id: str | None
    decline_code: str | None = Field(
        description="When failed: generic_decline, insufficient_funds, expired_card, "
                    "authentication_required or processing_error (the processor declined), or "
                    "online-payments-disabled (switched off after the payment was recorded; "
                    "never sent to the processor)")
    started_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, payment: Payment) -> PaymentRecord:
        return cls(id=payment.payment_id, invoice_id=payment.invoice_id, amount=payment.amount,
                   currency=payment.currency, payment_method_id=payment.card_id,
                   additional=payment.additional, status=payment.status,  # type: ignore[arg-type]
                   selection=payment.selection, card_version=payment.card_version,
                   processor_payment_id=payment.processor_payment_id,
                   decline_code=payment.decline_code,
                   started_at=datetime.fromisoformat(payment.started_at),
                   finished_at=(datetime.fromisoformat(payment.finished_at)
                                if payment.finished_at else None))


class Payments(BaseModel):
    payments: list[PaymentRecord] = Field(description="Newest first")


@router.post("", status_code=201, response_model=PaymentRecord,
             responses=documented(401, 403, 404, 409, 422, 429, 503))
def pay_invoice(company: CompanyPath, customer: CustomerPath, request: PayInvoice,
                actor: ActorHeader, runtime: RuntimeDep, principal: Payer,
                response: Response, idempotency_key: IdempotencyKeyHeader = None) -> Any:
    """Charge a saved card (the primary unless one is named) for an invoice.
    201 either way: `status` says whether the card was charged or declined.
    A retry with the same key answers the same payment (Idempotent-Replayed)."""
    try:
        outcome = runtime.ledger.pay_invoice(
            company, customer, invoice_id=request.invoice_id, amount=request.amount,
            currency=request.currency, card_id=request.payment_method_id,
            additional=request.additional, by=provenance_of(principal, actor, customer),
            idempotency_key=idempotency_key)
    except PaymentInProgress as busy:
        raise Problem(409, busy.code, busy.title, busy.detail,
                      headers={"Retry-After": str(busy.retry_after)}) from None
    done = _as_outcome(outcome)
    position = settle(runtime, done)
    response.headers.update(outcome_headers(done, position))
    return PaymentRecord.of(outcome.payment)


@router.get("", response_model=Payments, responses=documented(401, 403, 404, 422, 429, 503))
def list_payments(company: CompanyPath, customer: CustomerPath, runtime: RuntimeDep,
                  principal: Reader) -> Payments:
    """The customer's payments, newest first, read from the events."""
    return Payments(payments=[PaymentRecord.of(p)
                              for p in runtime.ledger.payments(company, customer)])


def _as_outcome(outcome: PaymentOutcome) -> Outcome:
    return Outcome(outcome.payment.card_id, outcome.version, outcome.position, outcome.replayed)

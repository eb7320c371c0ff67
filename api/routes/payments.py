"""Paying a customer's invoices with a saved card, and the payments made.

A payment always needs an Idempotency-Key: a retry with the same key answers
the first payment and never charges again (how: domain/paying.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import ActorHeader, Principal, provenance_of, require
from api.commands import IdempotencyKeyHeader, outcome_headers, settle
from api.openapi import raises
from api.paging import STARTING_AFTER, limit_query, page
from api.params import CompanyPath, CustomerPath
from api.problems import Problem
from api.routing import InspectedRoute
from api.runtime import RuntimeDep
from domain.errors import (
    CardAlreadyDeleted,
    CardExpired,
    CustomerErased,
    CustomerNotFound,
    IdempotencyKeyRequired,
    InvalidAmount,
    InvoiceAlreadyPaid,
    NoPrimaryCard,
    NoSuchCard,
    OnlinePaymentsDisabled,
    PaymentInProgress,
    ProcessorUnavailable,
    UnknownToken,
    UnsupportedCurrency,
    VersionConflict,
)
from domain.paying import PaymentOutcome
from domain.payments import MAX_AMOUNT, Payment
from domain.service import Outcome

router = APIRouter(prefix="/v1/companies/{company}/customers/{customer}/payments",
                   tags=["payments"],
                   route_class=InspectedRoute)

Payer = Annotated[Principal, Depends(require("portal", "office"))]
Reader = Annotated[Principal, Depends(require("portal", "office", "auditor"))]


class PayInvoice(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"invoice_id": "INV-1042", "amount": 12500, "currency": "usd"},
        {"invoice_id": "INV-1042", "amount": 2500, "currency": "usd",
         "payment_method_id": "card_qhzkvtrnwoyeblsmxadpucfgij", "additional": True}]})

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
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"id": "pay_rwtwfykaaqrjmhssconjlbap", "invoice_id": "INV-1042", "amount": 12500,
         "currency": "usd", "payment_method_id": "card_qhzkvtrnwoyeblsmxadpucfgij",
         "additional": False, "status": "succeeded",
         "processor_payment_id": "pi_3QeXkz2eZvKYlo2C0x1y2z3a", "decline_code": None,
         "started_at": "2026-11-25T21:11:15.695627Z",
         "finished_at": "2026-11-25T21:11:15.696366Z"}]})

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
    has_more: bool = Field(False, description="More payments follow this page")
    next_starting_after: str | None = Field(
        None, description="The last payment's id: send as `starting_after` for the next page; "
                          "null on the last page")


PaymentCursor = Annotated[str | None, Query(min_length=1, max_length=64,
                                            pattern=r"^[A-Za-z0-9_-]+$",
                                            description=STARTING_AFTER + " (a payment id)")]


@router.post("", status_code=201, response_model=PaymentRecord, operation_id="payInvoice",
             openapi_extra=raises(CustomerErased, OnlinePaymentsDisabled, CustomerNotFound, NoSuchCard,
                                  CardAlreadyDeleted, NoPrimaryCard, InvoiceAlreadyPaid,
                                  PaymentInProgress, UnsupportedCurrency, InvalidAmount,
                                  IdempotencyKeyRequired, CardExpired,
                                  UnknownToken, ProcessorUnavailable, VersionConflict))
def pay_invoice(company: CompanyPath, customer: CustomerPath, request: PayInvoice,
                actor: ActorHeader, runtime: RuntimeDep, principal: Payer,
                response: Response, idempotency_key: IdempotencyKeyHeader = None) -> Any:
    """Charge a saved card (the primary unless one is named) for an invoice.
    201 either way: `status` says whether the card was charged or declined.
    A retry with the same key answers the same payment (Idempotent-Replayed)."""
    outcome = runtime.ledger.pay_invoice(
        company, customer, invoice_id=request.invoice_id, amount=request.amount,
        currency=request.currency, card_id=request.payment_method_id,
        additional=request.additional, by=provenance_of(principal, actor, customer),
        idempotency_key=idempotency_key)
    done = _as_outcome(outcome)
    position = settle(runtime, done)
    response.headers.update(outcome_headers(done, position))
    return PaymentRecord.of(outcome.payment)


@router.get("", response_model=Payments, operation_id="listPayments",
            openapi_extra=raises(CustomerNotFound, "invalid-cursor"))
def list_payments(company: CompanyPath, customer: CustomerPath, runtime: RuntimeDep,
                  principal: Reader, limit: Annotated[int, limit_query(100, 500)] = 100,
                  starting_after: PaymentCursor = None) -> Payments:
    """The customer's payments, newest first, read from the events."""
    payments = runtime.ledger.payments(company, customer)
    if starting_after is not None:
        ids = [p.payment_id for p in payments]
        if starting_after not in ids:
            raise Problem(422, "invalid-cursor", "starting_after is not one of these payments",
                          "Send a payment id from this customer's list, or no starting_after")
        payments = payments[ids.index(starting_after) + 1:]
    shown, has_more = page(payments, limit)
    return Payments(payments=[PaymentRecord.of(p) for p in shown], has_more=has_more,
                    next_starting_after=shown[-1].payment_id if has_more else None)


def _as_outcome(outcome: PaymentOutcome) -> Outcome:
    return Outcome(outcome.payment.card_id, outcome.version, outcome.position, outcome.replayed)

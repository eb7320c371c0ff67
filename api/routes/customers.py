"""Registering a customer (the office creates customers; the portal's first
card would too), and erasing one (an admin, on the customer's request)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api.auth import ActorHeader, Principal, provenance_of, require
from api.commands import IdempotencyKeyHeader, outcome_headers, settle
from api.openapi import raises
from api.params import CompanyPath, CustomerPath
from api.routing import InspectedRoute
from api.runtime import RuntimeDep
from api.schemas import CustomerRecord, Erasure
from domain.errors import (
    CustomerErased,
    CustomerNotFound,
    ErasureBlocked,
    ProcessorUnavailable,
    VersionConflict,
)
from projections.views import iso

router = APIRouter(prefix="/v1/companies/{company}/customers", tags=["customers"],
                   route_class=InspectedRoute)


@router.put("/{customer}", response_model=CustomerRecord, operation_id="registerCustomer",
            responses={201: {"model": CustomerRecord, "description": "Registered now"}},
            openapi_extra=raises(CustomerErased, VersionConflict))
def put_customer(company: CompanyPath, customer: CustomerPath, actor: ActorHeader,
                 runtime: RuntimeDep, response: Response,
                 principal: Annotated[Principal, Depends(require("office", "admin"))],
                 ) -> CustomerRecord:
    """Register the customer: 201 when new, 200 when it already existed."""
    outcome = runtime.ledger.register_customer(company, customer,
                                               provenance_of(principal, actor, None))
    position = settle(runtime, outcome)
    created = outcome.position is not None
    response.status_code = 201 if created else 200
    response.headers.update(outcome_headers(outcome, position))
    return CustomerRecord(company_id=company, customer_id=customer, version=outcome.version,
                          created=created)


@router.delete("/{customer}", response_model=Erasure, operation_id="eraseCustomer",
               openapi_extra=raises(CustomerNotFound, ErasureBlocked, ProcessorUnavailable))
def erase_customer(company: CompanyPath, customer: CustomerPath, actor: ActorHeader,
                   runtime: RuntimeDep, response: Response,
                   principal: Annotated[Principal, Depends(require("admin"))],
                   idempotency_key: IdempotencyKeyHeader = None) -> Erasure:
    """Erase the customer (a GDPR or CCPA request): every saved card is detached
    at the processor and deleted, autopay is turned off, and the customer's
    personal fields (the cardholder name) become unreadable for good, in the
    events and every copy of them, by destroying the customer's own key. The
    history keeps amounts, dates, actions and card facts. Afterwards the card
    list and every command answer 410 `customer-erased`; erasing again answers
    200 with the first erasure. Refused with 409 while a payment is in flight.
    See docs/erasure.md."""
    outcome = runtime.ledger.erase_customer(
        company, customer, by=provenance_of(principal, actor, None),
        idempotency_key=idempotency_key)
    position = settle(runtime, outcome)
    response.headers.update(outcome_headers(outcome, position))
    state = outcome.customer or runtime.ledger.get_customer(company, customer)
    assert state.erased_at is not None
    return Erasure(company_id=company, customer_id=customer, version=outcome.version,
                   erased_at=iso(state.erased_at))

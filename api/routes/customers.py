"""Registering a customer (the office creates customers; the portal's first
card would too)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api.auth import ActorHeader, Principal, provenance_of, require
from api.commands import outcome_headers, settle
from api.openapi import raises
from api.params import CompanyPath, CustomerPath
from api.routing import InspectedRoute
from api.runtime import RuntimeDep
from api.schemas import CustomerRecord
from domain.errors import VersionConflict

router = APIRouter(prefix="/v1/companies/{company}/customers", tags=["customers"],
                   route_class=InspectedRoute)


@router.put("/{customer}", response_model=CustomerRecord, operation_id="registerCustomer",
            responses={201: {"model": CustomerRecord, "description": "Registered now"}},
            openapi_extra=raises(VersionConflict))
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

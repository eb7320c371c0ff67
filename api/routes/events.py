"""The raw event stream of a customer, for auditors."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from eventsourcing.utils import get_topic
from fastapi import APIRouter, Depends

from api.auth import Principal, require
from api.commands import wait_for_views
from api.openapi import raises
from api.paging import IntCursor, limit_query, page
from api.params import CompanyPath, CustomerPath
from api.routing import InspectedRoute
from api.runtime import RuntimeDep
from api.schemas import Events, StoredEvent, Verification
from domain.errors import CustomerNotFound
from projections.verify import verify_customer

router = APIRouter(prefix="/v1/companies/{company}/customers/{customer}", tags=["audit"],
                   route_class=InspectedRoute)

# Carried by every event and answered as top-level fields instead.
_ENVELOPE = ("originator_id", "originator_version", "timestamp")


@router.get("/events", response_model=Events, operation_id="listCustomerEvents",
            openapi_extra=raises(CustomerNotFound))
def customer_events(company: CompanyPath, customer: CustomerPath, runtime: RuntimeDep,
                    _: Annotated[Principal, Depends(require("auditor"))],
                    limit: Annotated[int, limit_query(1000, 1000)] = 1000,
                    starting_after: IntCursor = None) -> Events:
    """The customer's stored events, in order, exactly as recorded (processor
    tokens included: auditors see the whole record). Paged by version; the
    default page of 1,000 holds the whole stream of nearly every customer."""
    after = starting_after or 0
    stored = [e for e in runtime.ledger.customer_events(company, customer)
              if e.originator_version > after]
    events, has_more = page(stored, limit)
    return Events(events=[
        StoredEvent(version=e.originator_version, type=type(e).__name__,
                    topic=get_topic(type(e)), timestamp=e.timestamp,
                    data={k: _plain(v) for k, v in vars(e).items() if k not in _ENVELOPE})
        for e in events], has_more=has_more,
        next_starting_after=events[-1].originator_version if has_more else None)


def _plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@router.get("/verification", response_model=Verification, operation_id="verifyCustomer",
            openapi_extra=raises(CustomerNotFound))
def verify_one_customer(company: CompanyPath, customer: CustomerPath, runtime: RuntimeDep,
                        _: Annotated[Principal, Depends(require("auditor"))]) -> Verification:
    """Replay the customer's events from scratch and compare the result with
    its card list, every field (`cardledger verify` does every customer)."""
    wait_for_views(runtime, runtime.ledger.recorder.max_notification_id())
    version, differences = verify_customer(runtime.ledger, runtime.read_model, company, customer)
    return Verification(consistent=not differences, version=version, differences=differences)

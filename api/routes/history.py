"""View History: every change to a customer's cards, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.auth import Principal, require
from api.commands import MinPositionHeader, wait_for_views
from api.openapi import raises
from api.paging import IntCursor, limit_query, page
from api.params import CompanyPath, CustomerPath
from api.routing import InspectedRoute
from api.runtime import RuntimeDep
from api.schemas import History, history_json
from domain.errors import CustomerNotFound

router = APIRouter(prefix="/v1/companies/{company}/customers/{customer}/payment-methods",
                   tags=["history"],
                   route_class=InspectedRoute)


@router.get("/history", response_model=History, operation_id="listHistory",
            openapi_extra=raises(CustomerNotFound))
def history(company: CompanyPath, customer: CustomerPath, runtime: RuntimeDep,
            _: Annotated[Principal, Depends(require("office", "auditor"))],
            limit: Annotated[int, limit_query(100, 500)] = 100,
            starting_after: IntCursor = None,
            before: Annotated[int | None, Query(ge=1, le=2**62, description=(
                "`starting_after` under its first name: entries older than this position"))]
            = None, min_position: MinPositionHeader = None) -> Response:
    """When, what, which card, who and from where; company-wide switches of
    online payments are included (company_wide: true)."""
    wait_for_views(runtime, min_position)
    cursor = starting_after if starting_after is not None else before
    found = runtime.read_model.history(company, customer, limit=limit + 1, before=cursor)
    if found is None:
        raise CustomerNotFound(f"No customer {customer} in company {company}")
    entries, has_more = page(found, limit)
    following = entries[-1].position if has_more else None
    # The History model's JSON, written straight from the rows (api/schemas.py).
    return Response(history_json(entries, has_more, following), media_type="application/json")

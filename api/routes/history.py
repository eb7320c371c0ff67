"""View History: every change to a customer's cards, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.routing import InspectedRoute
from api.auth import Principal, require
from api.commands import MinPositionHeader, wait_for_views
from api.params import CompanyPath, CustomerPath
from api.problems import documented
from api.runtime import RuntimeDep
from api.schemas import History, HistoryItem
from domain.errors import CustomerNotFound

router = APIRouter(prefix="/v1/companies/{company}/customers/{customer}/payment-methods",
                   tags=["history"],
                   route_class=InspectedRoute)


@router.get("/history", response_model=History,
            responses=documented(401, 403, 404, 422, 429, 503))
def history(company: CompanyPath, customer: CustomerPath, runtime: RuntimeDep,
            _: Annotated[Principal, Depends(require("office", "auditor"))],
            limit: Annotated[int, Query(ge=1, le=500)] = 100,
            before: Annotated[int | None, Query(ge=1, le=2**62,
                                                description="Entries older than this position")]
            = None, min_position: MinPositionHeader = None) -> History:
    """When, what, which card, who and from where; company-wide switches of
    online payments are included (company_wide: true)."""
    wait_for_views(runtime, min_position)
    if runtime.read_model.card_list(company, customer) is None:
        raise CustomerNotFound(f"No customer {customer} in company {company}")
    entries = runtime.read_model.history(company, customer, limit=limit, before=before)
    return History(history=[HistoryItem.of(e) for e in entries],
                   next_before=entries[-1].position if len(entries) == limit else None)

"""Company settings: the Online Payments switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api.auth import ROLES, ActorHeader, Principal, provenance_of, require
from api.commands import outcome_headers, settle
from api.openapi import raises
from api.params import CompanyPath
from api.routing import InspectedRoute
from api.runtime import RuntimeDep
from api.schemas import OnlinePayments, OnlinePaymentsChange

router = APIRouter(prefix="/v1/companies/{company}/settings", tags=["settings"],
                   route_class=InspectedRoute)


@router.get("/online-payments", response_model=OnlinePayments,
            operation_id="getOnlinePayments", openapi_extra=raises())
def get_online_payments(company: CompanyPath, runtime: RuntimeDep,
                        _: Annotated[Principal, Depends(require(*ROLES))]) -> OnlinePayments:
    """Whether customers can add cards and pay invoices. Off until an admin switches it on."""
    return OnlinePayments(enabled=runtime.read_model.online_payments(company))


@router.put("/online-payments", response_model=OnlinePayments,
            operation_id="setOnlinePayments", openapi_extra=raises())
def put_online_payments(company: CompanyPath, change: OnlinePaymentsChange, actor: ActorHeader,
                        runtime: RuntimeDep, response: Response,
                        principal: Annotated[Principal, Depends(require("admin"))],
                        ) -> OnlinePayments:
    """Switch online payments on or off (Settings > Invoicing > Online Payments).
    Setting it to what it already is changes nothing. Off stops every charge not
    yet sent and every card not yet saved; a charge already on its way to the
    processor completes (docs/payments-rules.md)."""
    outcome = runtime.ledger.set_online_payments(company, change.enabled,
                                                 provenance_of(principal, actor, None))
    position = settle(runtime, outcome)
    response.headers.update(outcome_headers(outcome, position))
    return OnlinePayments(enabled=change.enabled)

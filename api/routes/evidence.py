"""One payment's evidence pack, for a dispute reply or an audit (docs/audit.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path
from fastapi.responses import HTMLResponse, JSONResponse

from api.auth import Principal, require
from api.evidence_page import render
from api.openapi import raises
from api.params import CompanyPath, CustomerPath
from api.routing import InspectedRoute
from api.runtime import RuntimeDep
from cardledger.checkpoints import verifying_keys
from domain.errors import CustomerNotFound, NoSuchPayment
from domain.ids import EXTERNAL_ID
from projections.evidence import evidence_pack

PaymentPath = Annotated[str, Path(description="The payment's id (`pay_...`), or an autopay "
                                              "charge's (`apc_...`)",
                                  pattern=EXTERNAL_ID.pattern, min_length=1, max_length=64)]

router = APIRouter(prefix="/v1/companies/{company}/customers/{customer}/payments",
                   tags=["audit"], route_class=InspectedRoute)


@router.get("/{payment_id}/evidence", operation_id="getPaymentEvidence",
            openapi_extra=raises(CustomerNotFound, NoSuchPayment),
            responses={200: {"content": {"application/json": {}, "text/html": {}},
                             "description": "The evidence pack"}})
def payment_evidence(company: CompanyPath, customer: CustomerPath,
                     payment_id: PaymentPath,
                     runtime: RuntimeDep,
                     _: Annotated[Principal, Depends(require("office", "auditor"))],
                     format: Literal["json", "html"] | None = None,  # noqa: A002
                     accept: Annotated[str, Header()] = "application/json") -> Any:
    """The payment's attempts and outcomes, the card as it was when charged
    (and every card tried), why that card, the consent an autopay charge was
    made under, the history up to the payment and the chain links with the
    signed checkpoint that pins them. HTML with `?format=html` or
    `Accept: text/html`, for printing."""
    pack = evidence_pack(runtime.ledger, company, customer, payment_id,
                         verifying_keys(runtime.settings))
    wants_html = format == "html" or (format is None and "text/html" in accept)
    if wants_html:
        return HTMLResponse(render(pack))
    return JSONResponse(pack)

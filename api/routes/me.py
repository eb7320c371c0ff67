"""Who a key is: lets a client (the /ui/ pages) learn its company and role."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import Authenticated
from api.openapi import raises
from api.routing import InspectedRoute
from api.schemas import KeyInfo

router = APIRouter(tags=["keys"], route_class=InspectedRoute)


@router.get("/v1/me", response_model=KeyInfo, operation_id="getCurrentKey",
            openapi_extra=raises(store=False))
def me(principal: Authenticated) -> KeyInfo:
    """The company and role of the key sent."""
    return KeyInfo(company=principal.company, role=principal.role,  # type: ignore[arg-type]
                   key_id=principal.key_id)

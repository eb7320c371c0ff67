"""Liveness and readiness, for the orchestrator; no key needed."""

from __future__ import annotations

from fastapi import APIRouter

from api.openapi import raises
from api.routing import InspectedRoute
from api.runtime import RuntimeDep
from api.schemas import Health

router = APIRouter(tags=["health"], route_class=InspectedRoute)


@router.get("/healthz", response_model=Health, response_model_exclude_none=True,
            operation_id="checkLiveness", openapi_extra=raises(store=False))
def healthz() -> Health:
    """The process answers. Touches nothing else, so a store outage does not
    get healthy processes restarted."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, operation_id="checkReadiness",
            openapi_extra=raises())
def readyz(runtime: RuntimeDep) -> Health:
    """Ready when the store answers a cheap query (503 when it does not); also
    says how far the views lag behind the events."""
    position = runtime.read_model.position()
    newest = runtime.ledger.recorder.max_notification_id() or 0
    return Health(status="ready", views_position=position, views_lag=max(0, newest - position))

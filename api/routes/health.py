"""Liveness and readiness, for the orchestrator; no key needed."""

from __future__ import annotations

from fastapi import APIRouter

from api.openapi import raises
from api.problems import Problem
from api.routing import InspectedRoute
from api.runtime import RuntimeDep
from api.schemas import Health
from cardledger.metrics import oldest_waiting_age

router = APIRouter(tags=["health"], route_class=InspectedRoute)


@router.get("/healthz", response_model=Health, response_model_exclude_none=True,
            operation_id="checkLiveness", openapi_extra=raises(store=False))
def healthz() -> Health:
    """The process answers. Touches nothing else, so a store outage does not
    get healthy processes restarted."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, operation_id="checkReadiness",
            openapi_extra=raises("views-behind"))
def readyz(runtime: RuntimeDep) -> Health:
    """Ready when the store answers a cheap query and the views keep up: 503
    when they are more than CARDLEDGER_READY_MAX_VIEWS_LAG_EVENTS behind, or an
    event has waited more than CARDLEDGER_READY_MAX_VIEWS_LAG_SECONDS for them
    (the projector stopped: commands would wait and reads miss their writes)."""
    position = runtime.read_model.position()
    newest = runtime.ledger.recorder.max_notification_id() or 0
    lag = max(0, newest - position)
    waited = round(oldest_waiting_age(runtime.ledger, position), 3) if lag else 0.0
    health = Health(status="ready", views_position=position, views_lag=lag,
                    views_lag_seconds=waited)
    settings = runtime.settings
    if lag > settings.ready_max_views_lag_events or waited > settings.ready_max_views_lag_seconds:
        raise Problem(503, "views-behind", "The views are behind the events",
                      f"{lag} event(s) not yet in the views, the oldest waiting {waited:g} s; "
                      "is the projection worker (`cardledger project`) running?",
                      headers={"Retry-After": "5"},
                      extra=health.model_dump(exclude={"status"}))
    return health

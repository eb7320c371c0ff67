"""Prometheus metrics of this API process (all its workers'), and the lags.

No API key, like /healthz: the labels carry no company, customer, card or key
(cardledger/metrics.py), and a deployment keeps /metrics off its public edge
(the gateway forwards /v1 only). docs/operations.md has the list."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.routing import InspectedRoute
from api.runtime import RuntimeDep
from cardledger.metrics import CONTENT_TYPE_LATEST, LagCollector, exposition

router = APIRouter(tags=["operations"], route_class=InspectedRoute)


# Not in the OpenAPI document: the Prometheus text format is the scraper's
# contract, not the API's (docs/operations.md#metrics).
@router.get("/metrics", include_in_schema=False)
def metrics(runtime: RuntimeDep) -> Response:
    relay = runtime.settings.kafka_relay_name if runtime.settings.kafka_bootstrap else None
    lags = LagCollector(runtime.ledger, runtime.read_model, relay_name=relay)
    return Response(exposition(lags), media_type=CONTENT_TYPE_LATEST)

"""Stripe's webhook: card changes from the card networks' account updater.

No API key: Stripe signs each delivery with the endpoint's secret, and only
a body whose Stripe-Signature matches (and is fresh) is read. Stripe
redelivers until it gets a 2xx, so every verified event is acknowledged,
including those cardledger has nothing to record for; a redelivered event
is recorded once (its id is the idempotency key).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.commands import settle
from api.openapi import raises
from api.problems import Problem
from api.routing import InspectedRoute
from api.runtime import get_runtime
from cardledger.processors.stripe_webhooks import BadSignature, read_card_update
from domain.errors import InvalidCommand, ProcessorUnavailable, VersionConflict

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"],
                   route_class=InspectedRoute)

SignatureHeader = Annotated[str | None, Header(
    alias="Stripe-Signature", description="Stripe's signature of the body (t=...,v1=...)")]


class Acknowledged(BaseModel):
    received: Literal[True] = True
    recorded: bool


@router.post("/stripe", response_model=Acknowledged, operation_id="receiveStripeEvent",
             openapi_extra=raises("bad-webhook-signature", "webhook-not-configured",
                                  InvalidCommand, ProcessorUnavailable, VersionConflict))
async def stripe_webhook(request: Request, signature: SignatureHeader = None) -> Acknowledged:
    """`payment_method.automatically_updated` and `payment_method.updated`
    record a CardUpdated (actor system:processor), or a CardUpdateIgnored when
    the event is older (its `created`) than the card's last update; other
    events are acknowledged."""
    runtime = await get_runtime(request)
    secret = runtime.settings.stripe_webhook_secret.get_secret_value()
    if not secret:
        raise Problem(503, "webhook-not-configured", "The Stripe webhook is not configured",
                      "Set CARDLEDGER_STRIPE_WEBHOOK_SECRET", headers={"Retry-After": "60"})
    payload = await request.body()
    try:
        update = read_card_update(payload, signature, secret,
                                  runtime.settings.stripe_webhook_tolerance)
    except BadSignature as refused:
        raise Problem(400, refused.code, refused.title, refused.detail) from None
    if update is None:
        return Acknowledged(recorded=False)
    outcome = await run_in_threadpool(
        runtime.ledger.record_processor_update, update.customer_ref, update.token,
        last4=update.last4, exp_month=update.exp_month, exp_year=update.exp_year,
        reason=update.reason, event_id=update.event_id, occurred_at=update.occurred_at)
    if outcome is None:
        return Acknowledged(recorded=False)
    await run_in_threadpool(settle, runtime, outcome)
    return Acknowledged(recorded=outcome.position is not None)

"""One small router per resource; ``ROUTERS`` is what the app mounts."""

from __future__ import annotations

from api.routes import (
    autopay,
    card_setup,
    customers,
    events,
    evidence,
    health,
    history,
    me,
    metrics,
    payment_methods,
    payments,
    problems,
    settings,
    webhooks,
)

ROUTERS = (
    health.router,
    settings.router,
    customers.router,
    payment_methods.router,
    history.router,
    events.router,
    payments.router,
    evidence.router,
    webhooks.router,
    me.router,
    card_setup.router,
    autopay.router,
    metrics.router,
    problems.router,
)

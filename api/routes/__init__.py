"""One small router per resource; ``ROUTERS`` is what the app mounts."""

from __future__ import annotations

from api.routes import (
    customers,
    events,
    health,
    history,
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
    webhooks.router,
    problems.router,
)

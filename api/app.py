"""The FastAPI application factory.

``create_app`` takes what to serve: a ready ``Runtime`` (the caller owns and
closes it; tests use this), ``Settings`` (the app opens a runtime at startup
and closes it at shutdown), or a zero-argument callable returning a Runtime.
``create_app_from_env`` is the import string uvicorn's worker processes use.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from api.access_log import AccessLog
from api.auth import KeyRing
from api.guard import CardNumberGuard
from api.openapi import complete
from api.problems import install_problem_handlers
from api.ratelimit import RateLimiter
from api.routes import ROUTERS
from cardledger import card_data
from cardledger.gc_tuning import tune_for_serving
from cardledger.settings import Settings, get_settings
from cardledger.wiring import Runtime, open_runtime
from ui import router as ui_router

RuntimeSource = Runtime | Settings | Callable[[], Runtime]

DESCRIPTION = """Saved payment methods for the Customer Portal, the office app and auditors.

Every call needs `Authorization: Bearer <key>`; commands need `X-Actor`. Errors are
RFC 9457 `application/problem+json` with a stable `type` per error. Nothing in a
request may look like a card number or CVC: cards arrive as processor tokens.
Each error `type` is documented at `/problems/{code}`; every operation lists the
codes it can answer (also as `x-problem-codes`). Guide: docs/http-api.md."""

TAGS = [
    {"name": "payment methods", "description": "A customer's saved cards"},
    {"name": "payments", "description": "Paying invoices with a saved card"},
    {"name": "history", "description": "View History: every change, who and from where"},
    {"name": "customers", "description": "Registering customers"},
    {"name": "settings", "description": "The company's Online Payments switch"},
    {"name": "audit", "description": "The raw event stream, for auditors"},
    {"name": "webhooks", "description": "Stripe's signed card updates"},
    {"name": "problems", "description": "What each problem type means and what to do"},
    {"name": "health", "description": "Liveness and readiness, without a key"},
]


def create_app(source: RuntimeSource | None = None, *, keys: KeyRing | None = None,
               serving: bool = False) -> FastAPI:
    """``serving``: this is a server process (`cardledger serve`), whose garbage
    collector is tuned once the runtime is open (cardledger/gc_tuning.py)."""
    source = get_settings() if source is None else source

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if isinstance(source, Runtime):
            yield
            return
        runtime = open_runtime(source) if isinstance(source, Settings) else source()
        _serve(app, runtime, keys)
        if serving:
            tune_for_serving()
        try:
            yield
        finally:
            runtime.close()

    card_data.warm_up()
    # Swagger UI (/docs) and ReDoc (/redoc) from assets shipped in the wheel: no CDN.
    app = FastAPIOffline(title="cardledger", version="1", description=DESCRIPTION,
                         lifespan=lifespan, openapi_tags=TAGS)
    install_problem_handlers(app)
    # Added last = outermost: the access log sees (and times) the guard's refusals.
    app.add_middleware(CardNumberGuard)
    app.add_middleware(AccessLog)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(ui_router)  # the /ui/ pages; each request checks settings.ui_enabled
    _add_problem_schema(app)
    if isinstance(source, Runtime):
        _serve(app, source, keys)
    return app


def create_app_from_env() -> FastAPI:
    """Each worker of `cardledger serve --workers N` builds its app here."""
    return create_app(get_settings(), serving=True)


def _serve(app: FastAPI, runtime: Runtime, keys: KeyRing | None) -> None:
    settings = runtime.settings
    app.state.runtime = runtime
    app.state.keys = keys if keys is not None else KeyRing.from_settings(settings)
    app.state.rate_limiter = RateLimiter(settings.api_rate_limit_per_second,
                                         settings.api_rate_limit_burst)


def _add_problem_schema(app: FastAPI) -> None:
    """The document FastAPI generates, completed into the whole contract:
    problem codes, headers and examples (api/openapi.py)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if not app.openapi_schema:
            app.openapi_schema = complete(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

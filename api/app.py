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

from api.access_log import AccessLog
from api.auth import KeyRing
from api.guard import CardNumberGuard
from api.problems import GUARD_STATUSES, documented, install_problem_handlers
from api.ratelimit import RateLimiter
from api.routes import ROUTERS
from api.schemas import ProblemDetails
from cardledger import card_data
from cardledger.settings import Settings, get_settings
from cardledger.wiring import Runtime, open_runtime
from ui import router as ui_router

RuntimeSource = Runtime | Settings | Callable[[], Runtime]

DESCRIPTION = """Saved payment methods for the Customer Portal, the office app and auditors.

Every call needs `Authorization: Bearer <key>`; commands need `X-Actor`. Errors are
RFC 9457 `application/problem+json` with a stable `type` per error. Nothing in a
request may look like a card number or CVC: cards arrive as processor tokens."""


def create_app(source: RuntimeSource | None = None, *, keys: KeyRing | None = None) -> FastAPI:
    source = get_settings() if source is None else source

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if isinstance(source, Runtime):
            yield
            return
        runtime = open_runtime(source) if isinstance(source, Settings) else source()
        _serve(app, runtime, keys)
        try:
            yield
        finally:
            runtime.close()

    card_data.warm_up()
    app = FastAPI(title="cardledger", version="1", description=DESCRIPTION, lifespan=lifespan)
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
    return create_app(get_settings())


def _serve(app: FastAPI, runtime: Runtime, keys: KeyRing | None) -> None:
    settings = runtime.settings
    app.state.runtime = runtime
    app.state.keys = keys if keys is not None else KeyRing.from_settings(settings)
    app.state.rate_limiter = RateLimiter(settings.api_rate_limit_per_second,
                                         settings.api_rate_limit_burst)


def _add_problem_schema(app: FastAPI) -> None:
    """Error responses refer to ProblemDetails by $ref (see problems.documented);
    no route returns it as a model, so put it in the components ourselves. The
    guard answers before any route, so its statuses go on every operation."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ProblemDetails"] = ProblemDetails.model_json_schema(
            ref_template="#/components/schemas/{model}")
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, answer in documented(*GUARD_STATUSES).items():
                    responses.setdefault(str(status), answer)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

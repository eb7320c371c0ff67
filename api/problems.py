"""RFC 9457 problem details: the one shape every error of the API takes.

Domain errors carry a stable ``code`` and a ``kind``; api/problem_catalog.py
holds every code with its HTTP status (``status_for``), what it means and what
to do, and this module answers with them. Adapter-level refusals
(credentials, roles, the card-number guard, rate limits, bad headers) raise
``Problem``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any

from eventsourcing.persistence import PersistenceError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.problem_catalog import REGISTRY, status_for
from domain.errors import DomainError

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://cardledger.dev/problems/"
STORE_RETRY_AFTER = 5  # seconds; a store outage is rarely shorter

log = logging.getLogger("cardledger.api")


class Problem(Exception):
    """An error the adapter itself raises; rendered as problem+json."""

    def __init__(self, status: int, code: str, title: str, detail: str = "", *,
                 headers: Mapping[str, str] | None = None,
                 extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(detail or title)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail or title
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def problem_type(code: str) -> str:
    return TYPE_BASE + code


def problem_body(status: int, code: str, title: str, detail: str, *,
                 request_id: str | None = None,
                 extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    title, detail = _registered_title(code, title, detail)
    body: dict[str, Any] = {"type": problem_type(code), "title": title, "status": status,
                            "detail": detail, "code": code}
    if request_id:
        body["instance"] = f"urn:cardledger:request:{request_id}"
    body.update(extra or {})
    return body


def _registered_title(code: str, title: str, detail: str) -> tuple[str, str]:
    """RFC 9457: a type's title does not change from one occurrence to the next.
    A raise site's own wording leads the detail instead."""
    registered = REGISTRY.get(code)
    if registered is None or registered.title == title:
        return title, detail
    if detail == title or not detail:
        return registered.title, title
    return registered.title, f"{title.rstrip('.')}. {detail}"


def problem_response(status: int, code: str, title: str, detail: str = "", *,
                     request_id: str | None = None,
                     headers: Mapping[str, str] | None = None,
                     extra: Mapping[str, Any] | None = None) -> JSONResponse:
    return JSONResponse(
        problem_body(status, code, title, detail or title, request_id=request_id, extra=extra),
        status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON)


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


# --- exception handlers -----------------------------------------------------------------

def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc.status, exc.code, exc.title, exc.detail,
                            request_id=request_id_of(request), headers=exc.headers,
                            extra=exc.extra)


def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    # An error that says when to come back (processor-unavailable,
    # payment-in-progress) carries it; the route adds nothing.
    retry_after = getattr(exc, "retry_after", None)
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    return problem_response(status_for(exc), exc.code, exc.title, exc.detail,
                            request_id=request_id_of(request), headers=headers)


def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Where and what, never the offending input: it could be anything the
    # caller pasted, and problem bodies end up in clients' logs.
    errors = [{"loc": [str(part) for part in e.get("loc", ())], "msg": e.get("msg", ""),
               "type": e.get("type", "")} for e in exc.errors()]
    where = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5])
    return problem_response(422, "invalid-request", "The request is malformed", where,
                            request_id=request_id_of(request), extra={"errors": errors})


def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: ("not-found", "No such resource"),
             405: ("method-not-allowed", "The method is not allowed on this resource")}
    code, title = codes.get(exc.status_code, ("http-error", "The request failed"))
    # A raise site's own words are kept (the UI's "pages are off"); Starlette's
    # stock phrase for a 404 or 405 ("Not Found") gives way to our title.
    own_words = isinstance(exc.detail, str) and (
        exc.status_code not in codes or exc.detail != HTTPStatus(exc.status_code).phrase)
    detail = exc.detail if own_words else title
    return problem_response(exc.status_code, code, title, detail,
                            request_id=request_id_of(request), headers=exc.headers)


def _on_store_error(request: Request, exc: Exception) -> JSONResponse:
    # The driver's message names hosts and SQL, not card data, but it is still
    # an operator's business: log the first line, answer generically.
    log.error("event store unavailable: %s", str(exc).splitlines()[0] if str(exc) else type(exc))
    return problem_response(503, "store-unavailable", "The event store is unavailable",
                            "Nothing was changed; try again shortly",
                            request_id=request_id_of(request),
                            headers={"Retry-After": str(STORE_RETRY_AFTER)})


def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # A bug, not bad input. Starlette still re-raises it after this answer so
    # the server logs the traceback; the body says nothing internal.
    return problem_response(500, "internal-error", "Something went wrong on our side",
                            "The error was logged under this request's id",
                            request_id=request_id_of(request))


def _noting_code(handler: Callable[[Request, Exception], JSONResponse],
                 ) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    """The handler, also leaving the problem's code in the request's state for
    the command metrics (api/access_log.py). ``async`` although it never
    awaits: it only builds a body, and Starlette runs a plain handler in the
    thread pool, one more hand-off per error answer."""
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        response = handler(request, exc)
        request.state.problem_code = json.loads(response.body)["code"]
        return response

    return handle


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _noting_code(_on_problem))
    app.add_exception_handler(DomainError, _noting_code(_on_domain_error))
    app.add_exception_handler(RequestValidationError, _noting_code(_on_validation_error))
    app.add_exception_handler(StarletteHTTPException, _noting_code(_on_http_error))
    app.add_exception_handler(PersistenceError, _noting_code(_on_store_error))
    app.add_exception_handler(Exception, _noting_code(_on_unexpected))


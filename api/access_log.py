"""Structured access log: one JSON line per request, never a body, query or path.

Outermost middleware, so refusals by the card-number guard are logged too.
The line names the route's template (``/v1/companies/{company}/...``), never
the path the caller sent: a path can carry card data in more encodings than a
log line should ever be asked to undo, and a refused or unknown path is
logged as ``-``.

A caller's X-Request-ID is kept when it is a short plain token that passes the
guard (and echoed back); otherwise a fresh id is made. cardledger's own ids
are letters only (domain/ids.py), so they can never look like a card number.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cardledger import logs, metrics
from cardledger.card_data import looks_like_card_number
from domain.ids import random_id

log = logging.getLogger("cardledger.access")
REQUEST_ID_HEADER = "x-request-id"
_PLAIN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
UNMATCHED = "-"
# Request ids need to be unique, not secret (a caller may send its own), so they
# come from a generator seeded once from the OS: no system call per request on
# the event loop, where giving up the GIL means waiting for the worker threads.
_REQUEST_IDS = random.Random()
READS = frozenset({"GET", "HEAD", "OPTIONS"})  # no route: refused by the guard, or no such path


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER.encode():
            candidate = value.decode("latin-1")
            if _PLAIN_ID.match(candidate) and not looks_like_card_number(candidate):
                return candidate
    return random_id("req_", below=_REQUEST_IDS.randrange)


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        token = logs.request_id.set(request_id)  # every line logged in the request has it
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            line: dict[str, Any] = {
                "event": "request",
                "request_id": request_id,
                "method": scope.get("method", ""),
                "route": _route_template(scope),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            }
            caller = scope["state"].get("caller")
            if caller:
                line["caller"] = caller
            # JSON text for in-process handlers; the JSON log line merges the fields.
            log.info(json.dumps(line, separators=(",", ":")), extra={"fields": line})
            logs.request_id.reset(token)
            _measure(scope, line)


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or UNMATCHED


def _measure(scope: Scope, line: dict[str, Any]) -> None:
    method, route, status = line["method"], line["route"], line["status"]
    metrics.HTTP_REQUESTS.labels(method, route, str(status)).inc()
    metrics.HTTP_LATENCY.labels(method, route).observe(line["duration_ms"] / 1000)
    if method not in READS and route.startswith("/v1/"):
        # The problem handlers note the code they answered with (api/problems.py).
        outcome = "ok" if status < 400 else scope["state"].get("problem_code", str(status))
        metrics.COMMANDS.labels(getattr(scope.get("route"), "name", route), outcome).inc()

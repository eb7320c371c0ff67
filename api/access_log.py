"""Structured access log: one JSON line per request, never a body or query string.

Outermost middleware, so refusals by the card-number guard are logged too.
A caller's X-Request-ID is kept when it is a short plain token (and echoed
back); otherwise a fresh id is made, so nothing a caller sends can smuggle
card data into the log through the id. Paths are logged with card-like
digit runs redacted (the guard refuses such requests, but the line is still
written).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.guard import looks_like_card_number, redact

log = logging.getLogger("cardledger.access")
REQUEST_ID_HEADER = "x-request-id"
_PLAIN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER.encode():
            candidate = value.decode("latin-1")
            if _PLAIN_ID.match(candidate) and not looks_like_card_number(candidate):
                return candidate
    return uuid.uuid4().hex


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
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
                "path": redact(scope.get("path", "")),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            }
            caller = scope["state"].get("caller")
            if caller:
                line["caller"] = caller
            log.info(json.dumps(line, separators=(",", ":")))

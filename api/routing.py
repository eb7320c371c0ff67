"""Routes that take the body the guard parsed, instead of parsing it again.

FastAPI reads a JSON body with ``Request.json()``, a second parser that could
read the bytes differently from the guard's. Every cardledger route is an
``InspectedRoute``, whose request answers ``json()`` with the document the
guard walked (api/guard.py), so a route can only ever see what was inspected.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from api.guard import PARSED_BODY
from api.json_body import read_json


class InspectedRequest(Request):
    async def json(self) -> Any:
        if PARSED_BODY in self.scope:
            return self.scope[PARSED_BODY]
        # No guard in front (an app assembled without it): read just as strictly.
        return read_json(await self.body())


class InspectedRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_inspected(request: Request) -> Response:
            return await handle(InspectedRequest(request.scope, request.receive))

        return handle_inspected

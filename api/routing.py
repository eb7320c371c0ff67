"""Routes that take the body the guard parsed, instead of parsing it again,
and cross to a worker thread once.

FastAPI reads a JSON body with ``Request.json()``, a second parser that could
read the bytes differently from the guard's. Every cardledger route is an
``InspectedRoute``, whose request answers ``json()`` with the document the
guard walked (api/guard.py), so a route can only ever see what was inspected.

A plain ``def`` route (one that does blocking I/O: the store, the processor)
runs in FastAPI's thread pool, and so does the validation of what it returns:
two hand-offs to a worker thread and back per request. ``InspectedRoute``
makes it one: the route runs in the thread pool from an ``async`` wrapper, and
its answer (a model already validated when it was built) is checked on the
event loop. The wrapper keeps the route's signature, name and docstring, so
parameters, dependencies and the OpenAPI document are the same.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from api.guard import PARSED_BODY
from api.json_body import read_json


class InspectedRequest(Request):
    async def json(self) -> Any:
        if PARSED_BODY in self.scope:
            return self.scope[PARSED_BODY]
        # No guard in front (an app assembled without it): read just as strictly.
        return read_json(await self.body())


def in_worker_thread(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A plain function as a coroutine function that runs it in the thread pool."""
    if inspect.iscoroutinefunction(endpoint) or inspect.isgeneratorfunction(endpoint) \
            or inspect.isasyncgenfunction(endpoint):
        return endpoint

    @functools.wraps(endpoint)
    async def run(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return run


class InspectedRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, in_worker_thread(endpoint), **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_inspected(request: Request) -> Response:
            return await handle(InspectedRequest(request.scope, request.receive))

        return handle_inspected

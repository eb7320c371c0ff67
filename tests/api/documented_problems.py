"""Every problem the API answers in the API tests must be in the contract.

``DocumentedProblems`` wraps the app a test server serves: for each
problem+json answer it checks that the operation's OpenAPI entry lists the
code (``x-problem-codes``) under the status answered, and that the guard's
refusals before routing are codes the contract gives every operation. Any
mismatch (or a title other than the registry's) is kept in ``UNDOCUMENTED``, which an autouse fixture in conftest.py
asserts empty after every test: the whole tests/api suite is the check that
every code the domain and the edge raise is documented where it is raised.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from api.openapi import GUARD_CODES
from api.problem_catalog import REGISTRY
from api.problems import PROBLEM_JSON

UNDOCUMENTED: list[str] = []
# (operationId, code) of every problem answered by an operation in this session,
# and every such pair the document promises: how much of the contract was seen.
SEEN: set[tuple[str, str]] = set()
PROMISED: set[tuple[str, str]] = set()
# Answered where no operation matched: an unknown path or method.
OUTSIDE_OPERATIONS = {"not-found", "method-not-allowed"}


class DocumentedProblems:
    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        answer: dict[str, Any] = {"body": b""}

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["type"] = dict(message.get("headers", [])).get(b"content-type", b"")
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")
            await send(message)

        await self.app(scope, receive, recording_send)
        if answer.get("type", b"").decode().startswith(PROBLEM_JSON):
            problem = json.loads(answer["body"])
            self._check(scope, answer["status"], problem["code"])
            registered = REGISTRY.get(problem["code"])
            if registered is None or registered.title != problem["title"]:
                UNDOCUMENTED.append(f"{scope['path']}: {problem['code']} answered with title "
                                    f"{problem['title']!r}, not the registry's")

    def _check(self, scope: Scope, status: int, code: str) -> None:
        route = scope.get("route")
        where = f"{scope['method']} {scope['path']}"
        if route is None or not getattr(route, "include_in_schema", True):
            if code not in (*GUARD_CODES, *OUTSIDE_OPERATIONS, "rate-limited"):
                UNDOCUMENTED.append(f"{where}: {code} answered outside any operation")
            return
        document = self.app.openapi()
        operation = document["paths"][route.path][scope["method"].lower()]
        if not PROMISED:
            PROMISED.update((op["operationId"], code) for ops in document["paths"].values()
                            for op in ops.values() for code in op["x-problem-codes"])
        SEEN.add((operation["operationId"], code))
        if code not in operation["x-problem-codes"]:
            UNDOCUMENTED.append(f"{where}: {code} ({status}) not in {operation['operationId']}")
        elif str(status) not in operation["responses"]:
            UNDOCUMENTED.append(f"{where}: status {status} not in {operation['operationId']}")
        else:
            examples = operation["responses"][str(status)]["content"][PROBLEM_JSON]["examples"]
            if code not in examples:
                UNDOCUMENTED.append(f"{where}: {code} is not under {status}")

"""The OpenAPI document as the whole HTTP contract.

A route declares once which domain errors it can raise (``raises``); the codes
the edge adds are derived from the operation itself: a key (security) brings
the credential, role and rate-limit codes, an X-Actor brings wrong-actor, an
If-Match brings invalid-if-match and version-conflict, an Idempotency-Key
brings idempotency-key-reused, and the card-number guard can answer any
request. Each status gets one response whose examples are its codes (from the
registry, api/problem_catalog.py), and every answer lists the headers it can
carry.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from api.problem_catalog import REGISTRY, ProblemType
from api.problems import PROBLEM_JSON, problem_type
from api.schemas import ProblemDetails
from domain.errors import DomainError

CODES_KEY = "x-problem-codes"

# What the card-number guard (api/guard.py) may answer to any request, before routing.
GUARD_CODES = ("card-data-refused", "ambiguous-headers", "invalid-json", "request-timeout",
               "request-too-large", "uri-too-long", "unsupported-media-type",
               "unsupported-content-encoding", "headers-too-large")
AUTH_CODES = ("unauthorized", "wrong-company", "wrong-role", "rate-limited")

HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {"description": "The request's id (the caller's X-Request-ID when it is a "
                                    "plain token of up to 128 characters); also in a "
                                    "problem's `instance` and the access log",
                     "schema": {"type": "string"}, "example": "req_qhzkvtrnwoyeblsmxadpucfg"},
    "Retry-After": {"description": "Seconds to wait before retrying",
                    "schema": {"type": "integer", "minimum": 0}, "example": 5},
    "WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"},
                         "example": "Bearer"},
    "ETag": {"description": "The customer's version after the command (or as read): send it "
                            "back as If-Match",
             "schema": {"type": "string"}, "example": '"7"'},
    "Cardledger-Position": {"description": "The event-log position of the command's change (on "
                                           "a replay, the newest stored); a reader elsewhere "
                                           "sends it as Cardledger-Min-Position",
                            "schema": {"type": "integer"}, "example": 1042},
    "Idempotent-Replayed": {"description": "`true` when this is the first answer to the same "
                                           "Idempotency-Key, replayed; absent otherwise",
                            "schema": {"type": "string", "enum": ["true"]}, "example": "true"},
}


def raises(*errors: type[DomainError] | str, store: bool = True) -> dict[str, Any]:
    """``openapi_extra`` of a route: the domain errors (or edge codes) it can
    answer beyond those derived from its parameters; ``store=False`` for the
    few routes that never touch the event store."""
    codes = [e if isinstance(e, str) else e.code for e in errors]
    if store:
        codes.append("store-unavailable")
    unknown = set(codes) - REGISTRY.keys()
    assert not unknown, f"codes missing from api/problem_catalog.py: {unknown}"
    return {CODES_KEY: codes}


def derived_codes(operation: dict[str, Any]) -> list[str]:
    names = {p["name"] for p in operation.get("parameters", [])}
    codes = list(GUARD_CODES)
    if names or "requestBody" in operation:
        codes.append("invalid-request")
    if operation.get("security"):
        codes += AUTH_CODES
    if "X-Actor" in names:
        codes.append("wrong-actor")
    if "If-Match" in names:
        codes += ["invalid-if-match", "version-conflict"]
    if "Idempotency-Key" in names:
        codes.append("idempotency-key-reused")
    return codes


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """Adds problem responses, headers and the problem catalogue to FastAPI's document."""
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["ProblemDetails"] = ProblemDetails.model_json_schema(
        ref_template="#/components/schemas/{model}")
    components["headers"] = HEADERS
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            _complete_operation(operation)
    _drop_unused(components["schemas"], schema)
    schema["x-problem-types"] = {
        code: {"status": p.status, "title": p.title, "type": problem_type(code)}
        for code, p in sorted(REGISTRY.items())}
    return schema


def _drop_unused(schemas: dict[str, Any], document: dict[str, Any]) -> None:
    """FastAPI's own 422 shapes are left over once every 422 is a problem."""
    for name in ("HTTPValidationError", "ValidationError"):
        if f'"#/components/schemas/{name}"' not in json.dumps(
                {k: v for k, v in document.items() if k != "components"}) + json.dumps(
                {k: v for k, v in schemas.items() if k not in ("HTTPValidationError",
                                                               "ValidationError")}):
            schemas.pop(name, None)


def _complete_operation(operation: dict[str, Any]) -> None:
    codes = list(dict.fromkeys([*operation.get(CODES_KEY, []), *derived_codes(operation)]))
    operation[CODES_KEY] = sorted(codes)
    responses = operation.setdefault("responses", {})
    by_status: dict[int, list[ProblemType]] = defaultdict(list)
    for code in codes:
        by_status[REGISTRY[code].status].append(REGISTRY[code])
    for status, problems in sorted(by_status.items()):
        responses[str(status)] = _problem_response(sorted(problems, key=lambda p: p.code))
    responses["default"] = _problem_response([REGISTRY["internal-error"]])
    command = any(p["name"] == "X-Actor" for p in operation.get("parameters", []))
    for status, answer in responses.items():
        headers = answer.setdefault("headers", {})
        headers["X-Request-ID"] = {"$ref": "#/components/headers/X-Request-ID"}
        if command and status.startswith("2"):
            for name in ("ETag", "Cardledger-Position", "Idempotent-Replayed"):
                headers[name] = {"$ref": f"#/components/headers/{name}"}


def _problem_response(problems: list[ProblemType]) -> dict[str, Any]:
    listed = ", ".join(f"`{p.code}`" for p in problems)
    answer: dict[str, Any] = {
        "description": f"Problem: {listed}. " + " ".join(
            f"`{p.code}`: {p.means}" for p in problems),
        "content": {PROBLEM_JSON: {
            "schema": {"$ref": "#/components/schemas/ProblemDetails"},
            "examples": {p.code: {"summary": p.title, "value": _example(p)} for p in problems},
        }},
        "headers": {},
    }
    if any(p.retry_after for p in problems):
        answer["headers"]["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
    if any(p.status == 401 for p in problems):
        answer["headers"]["WWW-Authenticate"] = {"$ref": "#/components/headers/WWW-Authenticate"}
    return answer


def _example(problem: ProblemType) -> dict[str, Any]:
    return {"type": problem_type(problem.code), "title": problem.title,
            "status": problem.status, "detail": problem.means, "code": problem.code,
            "instance": "urn:cardledger:request:req_qhzkvtrnwoyeblsmxadpucfg"}

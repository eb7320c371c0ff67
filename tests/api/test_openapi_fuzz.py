"""schemathesis against /openapi.json on a live server: generated requests
(valid by the schema, on random companies and customers) never get a 5xx,
and every answer matches the documented status, content type and schema;
requests that break the schema never get a 5xx either."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.client import Api
from tests.api.conftest import api_for, base_settings, serving

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
EXAMPLES = 20  # per operation: about 200 requests, a few seconds


@pytest.fixture(scope="module")
def fuzzed_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    # Every route configured, so a 503 could only mean a real outage (a bug here).
    settings = base_settings(tmp_path_factory.mktemp("fuzz"),
                             stripe_webhook_secret=SecretStr("whsec_fuzz_only"))
    with serving(settings) as live:
        api = api_for(live)
        yield api
        api.close()


def key_for(method: str, path: str) -> str:
    """A key whose role the operation admits, so requests get past authorisation."""
    if path.endswith("/events"):
        return "any_auditor"
    if path.endswith("/online-payments") and method == "PUT":
        return "any_admin"
    return "any_office"


# schemathesis' pytest plugin (lazy schemas from fixtures) does not run under
# this pytest, so the test drives its Python API: one hypothesis run per operation.
@pytest.mark.timeout(180)
def test_generated_requests_get_documented_answers_and_never_a_5xx(fuzzed_api: Api) -> None:
    schema = schemathesis.openapi.from_url(str(fuzzed_api.http.base_url.join("/openapi.json")))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    statuses: list[int] = []

    for operation in operations:
        headers = fuzzed_api.auth(key_for(operation.method.upper(), operation.path))
        statuses += fuzz(operation, headers, GenerationMode.POSITIVE, CHECKS)
    # Not vacuous: requests got through authorisation to real answers.
    assert any(200 <= status < 300 for status in statuses)
    assert len(statuses) >= len(operations) * 5


@pytest.mark.timeout(180)
def test_requests_that_break_the_schema_never_get_a_5xx(fuzzed_api: Api) -> None:
    schema = schemathesis.openapi.from_url(str(fuzzed_api.http.base_url.join("/openapi.json")))
    statuses: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        headers = fuzzed_api.auth(key_for(operation.method.upper(), operation.path))
        try:
            statuses += fuzz(operation, headers, GenerationMode.NEGATIVE,
                             [not_a_server_error, content_type_conformance])
        except Unsatisfiable:
            continue  # nothing to break: the operation takes no input (e.g. /healthz)
    # Some "negative" cases are still fine requests to us (an unknown query
    # parameter is ignored), so the bar is: never a 5xx, and validation answers.
    assert statuses and max(statuses) < 500 and 422 in statuses, set(statuses)


def fuzz(operation: Any, headers: dict[str, str], mode: GenerationMode,
         checks: list[Any]) -> list[int]:
    """One hypothesis run over one operation; the statuses it got."""
    statuses: list[int] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def answers_as_documented(case: schemathesis.Case) -> None:
        statuses.append(case.call_and_validate(headers=headers, checks=checks).status_code)

    answers_as_documented()
    return statuses

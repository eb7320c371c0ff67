"""Property: ordinary requests pass the guard untouched.

ISO timestamps, amounts, versions (1.2.3, 10.0.19045.3693), cardledger ids,
Luhn-invalid numbers written as one unbroken run, phone numbers and text
without digits, as fields of a JSON body (which the guard hands on exactly as
sent) and in headers and the query. A guard that refused these would be
turned off by the first team it annoyed.
"""

from __future__ import annotations

from hypothesis import given, settings

from api.guard import inspect_request
from api.problems import Problem
from tests.guard import cases
from tests.guard.cases import Ordinary
from tests.guard.strategies import ordinary_requests
from tests.guard.test_refused import PROPERTY


def inspected(ordinary: Ordinary) -> object:
    try:
        return inspect_request(ordinary.request.scope(), ordinary.request.body)
    except Problem as refused:
        raise AssertionError(f"refused ({refused.detail}): {ordinary.request!r}") from None


@settings(PROPERTY, max_examples=2000)
@given(ordinary_requests(cases.ordinary_body))
def test_ordinary_values_in_a_json_body_pass_and_reach_the_route_as_sent(
        ordinary: Ordinary) -> None:
    assert inspected(ordinary) == ordinary.document


@settings(PROPERTY, max_examples=1500)
@given(ordinary_requests(cases.ordinary_headers))
def test_ordinary_values_in_headers_and_the_query_pass(ordinary: Ordinary) -> None:
    assert inspected(ordinary) is None

"""For HTTP tests: a client on a fresh company with online payments on, for
the test module's own ``live`` server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.client import Api
from tests.api.conftest import Live, api_for
# autouse: every problem answered over HTTP here must be in the OpenAPI document too
from tests.api.conftest import every_problem_answered_is_documented  # noqa: F401


@pytest.fixture
def api(live: Live) -> Iterator[Api]:
    client = api_for(live)
    client.given_online_payments()
    yield client
    client.close()

"""For autopay's HTTP tests: a client on a fresh company with online payments
on, served on both stores (the ``live`` fixture of tests/api)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.client import Api
from tests.api.conftest import Live, api_for
from tests.api.conftest import live  # noqa: F401 (both stores, module-scoped)


@pytest.fixture
def api(live: Live) -> Iterator[Api]:  # noqa: F811
    client = api_for(live)
    client.given_online_payments()
    yield client
    client.close()

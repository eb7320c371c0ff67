"""The app factory serves what it is given: a runtime (the caller's to close),
settings or a runtime factory (opened at startup, closed at shutdown)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from cardledger.gc_tuning import THRESHOLDS
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.wiring import Runtime, open_runtime
from tests.api.conftest import api_for, base_settings, serving
from tests.api.live_server import LiveServer


def test_a_runtime_factory_is_opened_at_startup_and_closed_at_shutdown(tmp_path: Path) -> None:
    events: list[str] = []

    def factory() -> Runtime:
        runtime = open_runtime(base_settings(tmp_path), processor=SandboxProcessor(),
                               run_projector=False)
        close = runtime.close
        runtime.close = lambda: (events.append("closed"), close())  # type: ignore[method-assign]
        events.append("opened")
        return runtime

    app = create_app(factory)
    assert events == []
    with LiveServer(app) as server:
        assert httpx.get(f"{server.url}/readyz").json()["status"] == "ready"
        assert events == ["opened"]
    assert events == ["opened", "closed"]


def test_settings_are_opened_with_their_own_keys(tmp_path: Path) -> None:
    key = "s" * 24
    settings = base_settings(tmp_path, api_keys=f"{key}=acme:auditor")
    with LiveServer(create_app(settings)) as server:
        answer = httpx.get(f"{server.url}/v1/companies/acme/settings/online-payments",
                           headers={"Authorization": f"Bearer {key}"})
        assert (answer.status_code, answer.json()) == (200, {"enabled": False})


def test_with_external_projections_a_command_waits_for_the_projection_worker(
        tmp_path: Path) -> None:
    # The runtime's projector thread stands in for a `cardledger project` process:
    # the API only watches the views' position, it does not apply events itself.
    # It polls slowly, so a read that did not wait for it would miss the card.
    settings = base_settings(tmp_path, projections="external", read_your_writes_timeout=10,
                             projection_poll_interval=0.5)
    with serving(settings, projector_thread=True) as live:
        api = api_for(live)
        api.given_online_payments()
        card = api.given_card("cu1")
        assert [c["id"] for c in api.cards("cu1").json()["payment_methods"]] == [card]
        api.close()


@pytest.fixture
def collector_restored() -> Iterator[None]:
    """These tests tune this very process's collector: put it back after."""
    saved = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*saved)


def test_a_serving_process_freezes_what_start_up_built_and_collects_less_often(
        tmp_path: Path, collector_restored: None) -> None:
    # given the app as `cardledger serve` builds it, before it starts
    app = create_app(base_settings(tmp_path), serving=True)
    assert gc.get_threshold() != THRESHOLDS
    # when it has started
    with LiveServer(app) as server:
        assert httpx.get(f"{server.url}/readyz").status_code == 200
        # then start-up's objects are frozen and young collections are rarer
        assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() > 0


def test_an_app_built_for_tests_or_embedding_leaves_the_collector_alone(
        tmp_path: Path, collector_restored: None) -> None:
    before = gc.get_threshold()
    with LiveServer(create_app(base_settings(tmp_path))) as server:
        assert httpx.get(f"{server.url}/readyz").status_code == 200
        assert gc.get_threshold() == before

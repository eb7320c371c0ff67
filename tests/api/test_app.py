"""The app factory serves what it is given: a runtime (the caller's to close),
settings or a runtime factory (opened at startup, closed at shutdown)."""

from __future__ import annotations

from pathlib import Path

import httpx

from api.app import create_app
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

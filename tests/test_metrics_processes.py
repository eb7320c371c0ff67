"""/metrics of the real processes: API workers add up (prometheus-client's
multiprocess mode), processor calls are timed, and a worker serves its own on
CARDLEDGER_METRICS_PORT."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.auth import DEV_COMPANY
from tests.api.test_outages import closed_port
from tests.api.test_serve import cardledger_serve, dev_keys
from tests.kafka.support import wait_until
from tests.processes import as_pid1


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


@pytest.mark.timeout(90)
def test_every_api_worker_counts_into_one_metrics_answer(tmp_path: Path) -> None:
    with cardledger_serve(tmp_path, "--workers", "3") as (url, _):
        keys = dev_keys(tmp_path / "data")
        customers = f"{url}/v1/companies/{DEV_COMPANY}/customers"
        # given requests spread over three worker processes
        for _ in range(12):
            assert httpx.get(f"{url}/readyz").status_code == 200
        assert httpx.put(f"{url}/v1/companies/{DEV_COMPANY}/settings/online-payments",
                         json={"enabled": True}, headers={
                             "Authorization": f"Bearer {keys['admin']}",
                             "X-Actor": "user:admin"}).status_code == 200
        assert httpx.put(f"{customers}/c-1", headers={
            "Authorization": f"Bearer {keys['office']}", "X-Actor": "user:jdoe"}).status_code == 201
        added = httpx.post(f"{customers}/c-1/payment-methods", json={"token": "pm_card_visa"},
                           headers={"Authorization": f"Bearer {keys['portal']}",
                                    "X-Actor": "customer:c-1"})
        assert added.status_code == 201, added.text
        # when any worker is asked for the metrics, twice
        answers = [samples(httpx.get(f"{url}/metrics").text) for _ in range(2)]
    # then each answer holds every worker's counts
    readyz = (("method", "GET"), ("route", "/readyz"), ("status", "200"))
    assert [a[("cardledger_http_requests_total", readyz)] for a in answers] == [12, 12]
    retrieve = (("operation", "retrieve"), ("processor", "sandbox"))
    assert answers[-1][("cardledger_processor_call_duration_seconds_count", retrieve)] >= 1
    assert len(list((tmp_path / "data" / "prometheus").glob("*.db"))) >= 2


def test_the_projection_worker_serves_its_metrics_on_its_port(tmp_path: Path) -> None:
    port = closed_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CARDLEDGER_")},
           "CARDLEDGER_DATA_DIR": str(tmp_path / "data"), "CARDLEDGER_METRICS_PORT": str(port)}
    with as_pid1(["project"], env) as worker:
        worker.wait_for("projecting into the views")

        def scraped() -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
            try:
                return samples(httpx.get(f"http://127.0.0.1:{port}/metrics").text)
            except httpx.TransportError:
                return None

        assert wait_until(scraped, timeout=10)
        metrics = scraped()
        assert metrics is not None
        assert metrics[("cardledger_projection_lag_events", ())] == 0
        assert ("cardledger_events_head", ()) in metrics

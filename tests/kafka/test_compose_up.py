"""docker-compose.yml, run without Docker: every cardledger service's command
starts as a local process with that service's environment, in the order its
depends_on gives, against the local PostgreSQL (an empty database) and a
noida-db Kafka broker standing in for the postgres and kafka images. Then each
healthcheck passes, a command goes over HTTP, and its event reaches the
office consumer; SIGTERM stops them all."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from api.auth import DEV_COMPANY
from consumers.office_read_model import OfficeReadModel
from tests.api.test_serve import dev_keys
from tests.conftest import PG_HOST, PG_PORT, PG_USER, throwaway_database
from tests.kafka.conftest import free_port
from tests.kafka.support import wait_until

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
IMAGE_DATA_DIR = "/var/lib/cardledger"  # the Dockerfile's CARDLEDGER_DATA_DIR
_DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")

pytestmark = pytest.mark.timeout(240)


@dataclass
class Service:
    name: str
    command: list[str]
    env: dict[str, str]
    healthcheck: list[str] | None
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def start(self, tmp_path: Path) -> None:
        self.log = tmp_path / f"{self.name}.log"
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "entrypoints.cli", *self.command], env=self.env,
                stdout=sink, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text() if self.log else ""

    def healthy(self) -> bool:
        assert self.healthcheck is not None and self.process is not None
        assert self.process.poll() is None, f"{self.name} died: {self.output()}"
        return subprocess.run([sys.executable, *self.healthcheck[2:]], capture_output=True,
                              timeout=10, check=False).returncode == 0


def interpolate(value: object) -> str:
    """Compose's ${VAR:-default}, with nothing exported (as `docker compose exec` sees it)."""
    return _DEFAULTED.sub(lambda m: os.environ.get(m.group(1)) or m.group(2), str(value))


def local(name: str, spec: dict[str, Any], *, tmp_path: Path, database: str,
          bootstrap: str, topic: str, smtp_port: int) -> Service:
    """The service as compose defines it, with what Docker's network and volumes
    would provide replaced by the local stand-ins: host names, ports, directories."""
    ports = {"8000": str(free_port()), "9100": str(free_port())}
    network = {
        "CARDLEDGER_POSTGRES_HOST": PG_HOST, "CARDLEDGER_POSTGRES_PORT": str(PG_PORT),
        "CARDLEDGER_POSTGRES_USER": PG_USER, "CARDLEDGER_POSTGRES_PASSWORD": "",
        "CARDLEDGER_POSTGRES_DBNAME": database, "CARDLEDGER_KAFKA_BOOTSTRAP": bootstrap,
        # A fresh topic per run: the broker is shared by the whole test session.
        "CARDLEDGER_KAFKA_TOPIC": topic,
        "CARDLEDGER_KAFKA_DEAD_LETTER_TOPIC": f"{topic}.dead-letter",
        "CARDLEDGER_SMTP_HOST": "127.0.0.1", "CARDLEDGER_SMTP_PORT": str(smtp_port),
        "CARDLEDGER_OFFICE_DATA_DIR": str(tmp_path / name / "office"),
    }
    declared = {k: interpolate(v) for k, v in (spec.get("environment") or {}).items()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARDLEDGER_")}
    env["CARDLEDGER_DATA_DIR"] = str(tmp_path / name / "data")
    for key, value in declared.items():
        if key in network:
            value = network[key]
        elif key == "CARDLEDGER_METRICS_PORT":
            value = ports[value]
        env[key] = value
    command = [ports.get(arg, arg) for arg in spec["command"]]
    check = spec.get("healthcheck", {}).get("test")
    if check and check[0] == "CMD":
        check = [re.sub(r":(8000|9100)/", lambda m: f":{ports[m.group(1)]}/", arg)
                 for arg in check]
    else:
        check = None
    return Service(name, command, env, check)


@pytest.fixture
def deployment(tmp_path: Path, kafka_bootstrap: str) -> Iterator[dict[str, Service]]:
    topic = f"cardledger.compose.{uuid.uuid4().hex[:10]}"
    with throwaway_database("cardledger_compose_", migrated=False) as database:
        services = {name: local(name, spec, tmp_path=tmp_path, database=database,
                                bootstrap=kafka_bootstrap, topic=topic, smtp_port=free_port())
                    for name, spec in COMPOSE["services"].items()
                    if spec.get("image") == "cardledger:local"}
        try:
            yield services
        finally:
            for service in services.values():
                if service.process is not None and service.process.poll() is None:
                    service.process.kill()
                    service.process.wait(timeout=10)


def waits_for_migrate(name: str) -> bool:
    condition = (COMPOSE["services"][name].get("depends_on") or {}).get("migrate", {})
    return condition.get("condition") == "service_completed_successfully"


def test_the_compose_services_start_answer_and_carry_an_event_to_the_office(
        deployment: dict[str, Service], tmp_path: Path) -> None:
    # given the services that wait for nothing of ours, and the one-shot migrate
    first = [s for n, s in deployment.items() if not waits_for_migrate(n)]
    for service in first:
        service.start(tmp_path)
    migrate = deployment["migrate"]
    assert migrate.process is not None
    assert migrate.process.wait(timeout=120) == 0, migrate.output()
    # when the others start once it succeeded (service_completed_successfully)
    for name, service in deployment.items():
        if waits_for_migrate(name):
            service.start(tmp_path)
    # then every healthcheck passes
    long_running = [s for s in deployment.values() if s.healthcheck is not None]
    assert {s.name for s in long_running} == set(deployment) - {"migrate"}
    for service in long_running:
        assert wait_until(service.healthy, timeout=90, interval=0.5), service.output()
    # and a command over HTTP reaches the office consumer through the relay
    api = deployment["api"]
    url = f"http://127.0.0.1:{api.command[api.command.index('--port') + 1]}"
    office_key = dev_keys(Path(api.env["CARDLEDGER_DATA_DIR"]))["office"]
    registered = httpx.put(f"{url}/v1/companies/{DEV_COMPANY}/customers/compose-1",
                           headers={"Authorization": f"Bearer {office_key}",
                                    "X-Actor": "user:jdoe"}, timeout=30)
    assert registered.status_code == 201, registered.text
    office_dir = Path(deployment["office-consumer"].env["CARDLEDGER_OFFICE_DATA_DIR"])
    model = OfficeReadModel(office_dir / "read_model.sqlite3")
    try:
        assert wait_until(lambda: model.payment_methods(DEV_COMPANY, "compose-1") is not None,
                          timeout=60), deployment["relay"].output()
    finally:
        model.close()
    assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
    # and SIGTERM (docker stop) ends every one of them cleanly
    for service in long_running:
        assert service.process is not None
        service.process.send_signal(signal.SIGTERM)
    for service in long_running:
        assert service.process is not None
        assert service.process.wait(timeout=10) == 0, service.output()

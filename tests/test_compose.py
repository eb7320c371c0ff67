"""docker-compose.yml cannot be started here (no Docker engine), so it is kept
honest by reading it: every cardledger command must parse with the real CLI,
every CARDLEDGER_* variable must be a setting, and the parts must point at each other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cardledger.cli import build_parser
from cardledger.settings import Settings

COMPOSE = Path(__file__).resolve().parents[1] / "docker-compose.yml"


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def cardledger_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services.items() if s.get("image") == "cardledger:local"}


def test_the_deployment_has_every_part(services: dict[str, dict[str, Any]]) -> None:
    commands = {tuple(s["command"][:1]) for s in cardledger_services(services).values()}
    assert {("serve",), ("project",), ("relay",), ("office-consumer",)} <= commands
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["kafka"]["image"].startswith("apache/kafka:")


def test_every_cardledger_command_parses_with_the_real_command_line(
        services: dict[str, dict[str, Any]]) -> None:
    parser = build_parser()
    for name, service in cardledger_services(services).items():
        try:
            parser.parse_args(service["command"])
        except SystemExit:
            command = " ".join(service["command"])
            pytest.fail(f"service {name}: `cardledger {command}` does not parse")


def test_every_cardledger_variable_is_a_setting(services: dict[str, dict[str, Any]]) -> None:
    fields = set(Settings.model_fields)
    for name, service in services.items():
        for variable in service.get("environment", {}):
            if variable.startswith("CARDLEDGER_"):
                assert variable.removeprefix("CARDLEDGER_").lower() in fields, (
                    f"service {name}: {variable} is not a cardledger setting")


def test_the_api_runs_several_workers_and_views_are_kept_by_the_projection_worker(
        services: dict[str, dict[str, Any]]) -> None:
    api = build_parser().parse_args(services["api"]["command"])
    assert api.workers > 1 and api.host == "0.0.0.0"
    assert services["api"]["environment"]["CARDLEDGER_PROJECTIONS"] == "external"


def test_kafka_runs_in_kraft_mode_where_the_services_look_for_it(
        services: dict[str, dict[str, Any]]) -> None:
    kafka = services["kafka"]["environment"]
    assert "controller" in kafka["KAFKA_PROCESS_ROLES"] and "zookeeper" not in services
    advertised = kafka["KAFKA_ADVERTISED_LISTENERS"].removeprefix("PLAINTEXT://")
    for name, service in cardledger_services(services).items():
        if service["command"][0] in ("relay", "office-consumer", "serve"):
            assert service["environment"].get("CARDLEDGER_KAFKA_BOOTSTRAP") == advertised, name


def test_cardledger_uses_the_database_the_postgres_service_creates(
        services: dict[str, dict[str, Any]]) -> None:
    postgres = services["postgres"]["environment"]
    for name, service in cardledger_services(services).items():
        env = service["environment"]
        if env.get("CARDLEDGER_STORE") == "postgres":
            assert env["CARDLEDGER_POSTGRES_HOST"] == "postgres", name
            assert env["CARDLEDGER_POSTGRES_DBNAME"] == postgres["POSTGRES_DB"], name
            assert env["CARDLEDGER_POSTGRES_USER"] == postgres["POSTGRES_USER"], name
            assert env["CARDLEDGER_POSTGRES_PASSWORD"] == postgres["POSTGRES_PASSWORD"], name

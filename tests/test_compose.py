"""docker-compose.yml cannot be started here (no Docker engine), so it is kept
honest by reading it: every cardledger command must parse with the real CLI,
every CARDLEDGER_* variable must be a setting, and the parts must point at each other."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from entrypoints.cli import build_parser
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


LONG_RUNNING = ("serve", "project", "relay", "office-consumer")


def test_every_service_that_uses_the_database_waits_for_the_one_shot_migrate(
        services: dict[str, dict[str, Any]]) -> None:
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["restart"] == "no"
    for name, service in cardledger_services(services).items():
        if service["environment"].get("CARDLEDGER_STORE") == "postgres" and name != "migrate":
            assert service["depends_on"]["migrate"] == {
                "condition": "service_completed_successfully"}, name


def test_every_long_running_part_has_a_healthcheck_an_init_and_a_fixed_non_root_user(
        services: dict[str, dict[str, Any]]) -> None:
    for name, service in cardledger_services(services).items():
        assert service["init"] is True, name
        uid, _, gid = str(service["user"]).partition(":")
        assert uid.isdigit() and int(uid) >= 1000 and gid.isdigit(), name
        if service["command"][0] in LONG_RUNNING:
            test = service["healthcheck"]["test"]
            assert test[:4] == ["CMD", "python", "-m", "cardledger.healthcheck"], name
            port = test[4].split(":")[2].split("/")[0]
            assert port in (service["environment"].get("CARDLEDGER_METRICS_PORT"),
                            *service["command"]), f"{name} checks a port it does not serve"


def test_images_name_an_exact_version(services: dict[str, dict[str, Any]]) -> None:
    # Digests cannot be looked up from the build machines (docs/operations.md, Images);
    # an exact version is the least, never latest or a bare major.
    for name, service in services.items():
        image = service["image"]
        if image == "cardledger:local":
            continue
        tag = image.split("@")[0].rpartition(":")[2]
        assert tag != "latest" and tag.count(".") >= 1, f"{name}: {image}"


def test_compose_commands_work_without_any_variable_exported(
        services: dict[str, dict[str, Any]]) -> None:
    # `${VAR:?}` would make every `docker compose exec/logs` fail unless VAR is set.
    assert ":?" not in COMPOSE.read_text()


def test_every_kafka_user_agrees_on_the_partitions(services: dict[str, dict[str, Any]]) -> None:
    counts = {s["environment"].get("CARDLEDGER_KAFKA_TOPIC_PARTITIONS")
              for s in cardledger_services(services).values()
              if "CARDLEDGER_KAFKA_BOOTSTRAP" in s["environment"]}
    assert len(counts) == 1 and None not in counts


def test_the_image_installs_locked_hashed_dependencies_in_their_own_layer() -> None:
    dockerfile = (COMPOSE.parent / "Dockerfile").read_text()
    lock = (COMPOSE.parent / "requirements.lock").read_text()
    install = "RUN pip install --require-hashes --no-deps -r requirements.lock"
    assert dockerfile.index("COPY requirements.lock") < dockerfile.index(install) \
        < dockerfile.index("COPY cardledger cardledger")
    assert "HEALTHCHECK" in dockerfile and "USER 10001:10001" in dockerfile
    lines = lock.splitlines()
    pinned = {line.split("==")[0]: lines[n + 1] for n, line in enumerate(lines)
              if re.match(r"^[a-z0-9._-]+==\S+ \\$", line)}
    assert all("--hash=sha256:" in following for following in pinned.values())
    declared = tomllib.loads((COMPOSE.parent / "pyproject.toml").read_text())
    for requirement in declared["project"]["dependencies"]:
        name = re.split(r"[\[<>=!~ ]", requirement, maxsplit=1)[0].lower()
        assert name in pinned, f"{name} is not in requirements.lock: run pip-compile"

"""Every benchmark runs end to end with tiny parameters and writes a valid report.

Not a timing test: speed goals are measured by the bench scripts themselves.
These only keep the scripts from rotting as the code they drive changes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import (
    card_list,
    chain_cost,
    command_path,
    expiring_report,
    history_cost,
    http_floor,
    kafka_lag,
    pipeline,
    profile_api,
    projection_lag,
    rebuild,
    verify_memory,
)

TINY: dict[str, tuple[Any, list[str]]] = {
    "rebuild": (rebuild, ["--events", "300", "--customers", "30", "--rounds", "1"]),
    "verify_memory": (verify_memory, ["--sizes", "300,600"]),
    "history_cost": (history_cost, ["--sizes", "10,100", "--commands", "5",
                                    "--events-budget", "300"]),
    "chain_cost": (chain_cost, ["--commands", "20", "--customers", "5", "--seconds", "5"]),
    "card_list": (card_list, ["--calls", "20", "--seconds", "1", "--history", "5"]),
    "projection_lag": (projection_lag, ["--seconds", "1", "--rate", "20", "--customers", "8",
                                        "--writers", "2"]),
    "expiring_report": (expiring_report, ["--cards", "600", "--companies", "2",
                                          "--calls", "5"]),
}


def _report(out_dir: Path, name: str) -> dict[str, Any]:
    [path] = out_dir.glob(f"{name}-*.json")
    return json.loads(path.read_text())


def _assert_complete(document: dict[str, Any], name: str, store: str) -> None:
    assert document["name"] == name
    assert document["parameters"]["store"] == store
    assert document["machine"]["cpu_count"] >= 1
    assert document["versions"]["eventsourcing"]
    assert document["rows"], "a report without measured rows"


@pytest.mark.parametrize("name", sorted(TINY))
def test_each_bench_script_runs_on_sqlite_and_writes_its_report(name: str,
                                                                tmp_path: Path) -> None:
    # given a tiny run of the script on the embedded store
    module, argv = TINY[name]
    # when it runs
    module.main([*argv, "--store", "sqlite", "--out-dir", str(tmp_path)])
    # then its JSON report holds the machine, versions, parameters and figures
    _assert_complete(_report(tmp_path, name), name, "sqlite")


@pytest.mark.postgres
def test_the_command_path_bench_drives_http_direct_append_and_pgbench(tmp_path: Path) -> None:
    # given a one-second-per-phase run against PostgreSQL with one API worker
    argv = ["--store", "postgres", "--workers", "1", "--seconds", "1", "--concurrency", "1",
            "--rate", "10", "--direct-concurrency", "1", "--batches", "2",
            "--no-wait-concurrency", "1", "--extra-rates", "",
            "--out-dir", str(tmp_path)]
    # when it runs
    command_path.main(argv)
    # then every phase left a row, and the server answered commands
    document = _report(tmp_path, "command_path")
    _assert_complete(document, "command_path", "postgres")
    phases = {row["phase"] for row in document["rows"]}
    assert {"http", "http open loop", "direct (CardLedger, no HTTP)",
            "recorder.insert_events"} <= phases
    assert any(p.startswith("pgbench") for p in phases) or document["notes"]
    http = next(row for row in document["rows"] if row["phase"] == "http")
    assert http["commands"] > 0
    assert http["failed"] == 0


@pytest.mark.postgres
def test_the_pipeline_bench_runs_the_api_with_an_external_projector_against_the_append(
        tmp_path: Path) -> None:
    # given a one-second-per-phase run in production's layout (one `cardledger project`)
    argv = ["--store", "postgres", "--workers", "1", "--seconds", "1", "--rounds", "1",
            "--concurrency", "2", "--rate", "20", "--no-single", "--out-dir", str(tmp_path)]
    # when it runs
    pipeline.main(argv)
    # then the API answered every command, read-your-writes included, and used CPU
    document = _report(tmp_path, "pipeline")
    _assert_complete(document, "pipeline", "postgres")
    assert document["parameters"]["projections"] == "external"
    [http] = [row for row in document["rows"] if row["phase"] == "http"]
    assert http["commands_per_s"] > 0 and http["server_cpu_ms_per_command"] > 0
    assert not document["notes"], document["notes"]  # no error answers


@pytest.mark.postgres
def test_the_http_floor_bench_serves_the_anchors_append_behind_fastapi(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a pool of prebuilt commands per worker that lasts a one-second phase
    monkeypatch.setenv("FLOOR_POOL_CUSTOMERS", "1000")  # 300 ran dry in 1 s on a fast machine
    argv = ["--store", "postgres", "--workers", "1", "--seconds", "1", "--rounds", "1",
            "--concurrency", "2", "--out-dir", str(tmp_path)]
    # when it runs
    http_floor.main(argv)
    # then the floor's row holds a ratio to the anchor measured right before it
    document = _report(tmp_path, "http_floor")
    _assert_complete(document, "http_floor", "postgres")
    assert 0 < document["figures"]["floor_c2_of_append"]
    assert not document["notes"], document["notes"]


@pytest.mark.kafka
def test_the_kafka_lag_bench_measures_through_the_relay_and_a_real_broker(
        tmp_path: Path) -> None:
    # given a one-second run with noida-db's broker and the relay worker
    argv = ["--store", "sqlite", "--seconds", "1", "--rate", "20", "--customers", "8",
            "--writers", "2", "--out-dir", str(tmp_path)]
    # when it runs
    kafka_lag.main(argv)
    # then every command's event was acknowledged by the broker
    document = _report(tmp_path, "kafka_lag")
    _assert_complete(document, "kafka_lag", "sqlite")
    [row] = document["rows"]
    assert row["caught_up"] is True
    assert row["n"] == row["commands"] > 0


@pytest.mark.postgres
def test_the_api_profile_samples_a_loaded_worker_or_says_why_not(tmp_path: Path) -> None:
    # given a one-second sampling of a one-worker API under load
    argv = ["--store", "postgres", "--seconds", "1", "--concurrency", "2",
            "--out-dir", str(tmp_path)]
    # when it runs
    profile_api.main(argv)
    # then the report has the shares of the worker's time, or a note saying why not
    document = _report(tmp_path, "profile_api")
    assert document["rows"] or document["notes"]
    assert all(0 < row["share_pct"] <= 100 for row in document["rows"])

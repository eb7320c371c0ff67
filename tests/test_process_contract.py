"""Every cardledger command keeps the process contract (real subprocesses): a
bad setting is one line and exit 2, `--version` answers, a closed stdout is
not an error, and a long-running worker stops within 2 s of SIGTERM, also as PID 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from entrypoints.cli import build_parser
from tests.processes import as_pid1

ARGS = {"replay": ["replay", "acme", "c-1"]}


def commands() -> list[str]:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sorted(sub.choices)


def cardledger(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "entrypoints.cli", *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CARDLEDGER_")}
    return {**clean, "CARDLEDGER_DATA_DIR": str(tmp_path / "data")}


@pytest.mark.parametrize("command", commands())
def test_a_mistyped_setting_is_one_line_and_exit_2_for_every_command(
        env: dict[str, str], command: str) -> None:
    result = cardledger({**env, "CARDLEDGER_STORE": "postgre"}, *ARGS.get(command, [command]))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [(
        "cardledger: bad setting: CARDLEDGER_STORE='postgre': "
        "Input should be 'sqlite' or 'postgres'")]
    assert result.stdout == ""


def test_every_bad_setting_is_named_on_the_one_line(env: dict[str, str]) -> None:
    result = cardledger({**env, "CARDLEDGER_STORE_TIMEOUT": "-1",
                         "CARDLEDGER_POSTGRES_PORT": "five"}, "demo")
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert "CARDLEDGER_STORE_TIMEOUT='-1'" in result.stderr
    assert "CARDLEDGER_POSTGRES_PORT='five'" in result.stderr


def test_version_names_the_release(env: dict[str, str]) -> None:
    result = cardledger(env, "--version")
    assert result.returncode == 0
    assert result.stdout.strip().startswith("cardledger 0.")


def test_a_reader_that_stops_early_is_not_an_error(env: dict[str, str]) -> None:
    # given `cardledger demo | head -1`
    demo = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "demo"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert demo.stdout is not None
    first = demo.stdout.readline()
    demo.stdout.close()  # head exits after one line
    code = demo.wait(timeout=60)
    assert demo.stderr is not None
    # then the demo ends quietly and well
    assert first.startswith(b"1. ")
    assert (code, demo.stderr.read()) == (0, b"")


@pytest.mark.parametrize(("args", "started"), [
    (["project"], "projecting into the views"),
    (["serve", "--port", "0"], "Application startup complete"),
    (["serve", "--port", "0", "--workers", "2"], "Started parent process"),
])
def test_a_worker_running_as_pid_1_stops_within_2_seconds_of_sigterm(
        env: dict[str, str], args: list[str], started: str) -> None:
    with as_pid1(args, {**env, "CARDLEDGER_PROJECTIONS": "inprocess"}) as worker:
        worker.wait_for(started)
        code, took = worker.terminate(within=5)
    assert code == 0, worker.output
    assert took < 2.0

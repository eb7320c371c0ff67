"""One JSON log format for every line of every process (cardledger/logs.py)."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from api.auth import DEV_COMPANY
from cardledger import logs
from tests.api.test_serve import cardledger_serve, dev_keys

REQUIRED = {"ts", "level", "logger", "message"}
ROOT = Path(__file__).resolve().parents[1]


def json_lines(text: str) -> list[dict[str, object]]:
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON log line: {line!r}")
    return parsed


@pytest.mark.timeout(90)
@pytest.mark.parametrize("workers", ["1", "2"])
def test_every_line_the_api_server_writes_is_one_json_object(tmp_path: Path,
                                                            workers: str) -> None:
    # given the API server as an operator runs it, uvicorn's own lines included
    with cardledger_serve(tmp_path, "--workers", workers) as (url, out):
        key = dev_keys(tmp_path / "data")["office"]
        # when it answers a request
        answer = httpx.get(f"{url}/v1/companies/{DEV_COMPANY}/settings/online-payments",
                           headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 200
    # then every line it wrote, start to stop, is JSON with the four fields
    lines = json_lines(out.read_text())
    assert all(REQUIRED <= line.keys() for line in lines), lines
    assert {"uvicorn.error", "cardledger.api", "cardledger.access"} <= {
        str(line["logger"]) for line in lines}
    [access] = [line for line in lines if line["logger"] == "cardledger.access"
                and line["route"] != "/healthz"][-1:]
    assert access["request_id"] == answer.headers["X-Request-ID"]
    assert (access["message"], access["status"]) == ("request", 200)
    assert str(access["ts"]).endswith("Z")


def capture(level: int = logging.INFO) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    logger = logging.getLogger(f"cardledger.test.{id(stream)}")
    logger.propagate = False
    logger.addHandler(logs.json_handler(stream))
    logger.setLevel(level)
    return logger, stream


def test_a_line_logged_inside_a_request_carries_its_request_id() -> None:
    logger, stream = capture()
    token = logs.request_id.set("req_abc")
    try:
        logger.warning("processor slow")
    finally:
        logs.request_id.reset(token)
    logger.warning("outside")
    inside, outside = json_lines(stream.getvalue())
    assert inside["request_id"] == "req_abc" and "request_id" not in outside


def test_a_worker_following_the_log_says_at_which_position() -> None:
    logger, stream = capture()
    with logs.at_position(41):
        try:
            raise RuntimeError("broker gone")
        except RuntimeError:
            logger.exception("batch failed")
    [line] = json_lines(stream.getvalue())
    assert line["position"] == 41 and line["level"] == "ERROR"
    assert "RuntimeError: broker gone" in str(line["exc"])


def test_card_data_never_reaches_a_json_line() -> None:
    logger, stream = capture()
    logger.warning("processor said: card %s declined", "4242 4242 4242 4242")
    try:
        raise ValueError("bad number 4000056655665556")
    except ValueError:
        logger.exception("failed")
    text = stream.getvalue()
    assert "4242 4242 4242 4242" not in text and "4000056655665556" not in text
    assert len(json_lines(text)) == 2


def test_a_thread_that_dies_and_a_warning_are_json_lines_too(tmp_path: Path) -> None:
    script = ("import threading, warnings; from cardledger import logs; logs.configure(); "
              "warnings.warn('old api'); "
              "t = threading.Thread(target=lambda: 1 / 0, name='worker'); t.start(); t.join()")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60, check=True, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = json_lines(result.stderr)
    assert [(line["logger"], line["level"]) for line in lines] == [
        ("py.warnings", "WARNING"), ("cardledger.crash", "ERROR")]
    assert "ZeroDivisionError" in str(lines[1]["exc"])

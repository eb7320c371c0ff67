"""docs/http-api.md's curl session is pasteable: given `cardledger serve` with
its dev keys, when the block is run as it is written, then every step answers
what its comment says."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.api.test_serve import cardledger_serve

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "http-api.md"
BLOCK = re.compile(r"<!-- story:begin -->\s*```sh\n(.*?)```\s*<!-- story:end -->", re.DOTALL)


def the_story() -> str:
    found = BLOCK.search(GUIDE.read_text())
    assert found, "docs/http-api.md has no story block"
    return found.group(1)


def run(story: str, url: str, data_dir: Path) -> list[str]:
    env = {**os.environ, "CARDLEDGER_URL": url, "CARDLEDGER_DATA_DIR": str(data_dir)}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", story], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.timeout(120)
def test_the_curl_story_runs_as_written_and_answers_as_its_comments_say(tmp_path: Path) -> None:
    with cardledger_serve(tmp_path) as (url, _):
        answers = run(the_story(), url, tmp_path / "data")
        again = run(the_story(), url, tmp_path / "data")  # pasted twice: a new customer each time

    registered, switched, primary, deleted, paid, history, refused, payments = answers
    assert json.loads(registered)["created"] is True
    assert json.loads(switched) == {"enabled": True}
    assert json.loads(primary)["brand"] == "mastercard" and json.loads(primary)["is_primary"]
    assert deleted == "204"
    assert json.loads(paid)["status"] == "succeeded"
    assert json.loads(paid)["payment_method_id"] == json.loads(primary)["id"]
    assert [e["action"] for e in json.loads(history)["history"]] == [
        "payment_succeeded", "deleted", "set_primary", "added", "set_primary", "added",
        "online_payments_enabled"]
    assert json.loads(refused)["code"] == "card-data-refused"
    assert json.loads(payments)["payments"] == [json.loads(paid)]
    assert json.loads(payments)["has_more"] is False
    assert json.loads(again[0])["customer_id"] != json.loads(registered)["customer_id"]
    assert json.loads(again[0])["created"] is True

"""contracts/asyncapi.json is a valid AsyncAPI document, by the AsyncAPI
project's own parser (npm @asyncapi/parser, pinned in contracts/check/)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parents[2] / "contracts" / "check"
DOCUMENT = CHECK.parent / "asyncapi.json"


@pytest.fixture(scope="module")
def parser() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("needs Node.js and npm (the AsyncAPI parser is a JavaScript package)")
    if not (CHECK / "node_modules" / "@asyncapi" / "parser").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=CHECK, check=True, timeout=300)
    return CHECK / "validate.mjs"


def parse(parser: Path, document: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["node", str(parser), str(document)], cwd=CHECK,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.timeout(360)
def test_the_asyncapi_document_is_valid(parser: Path) -> None:
    parsed = parse(parser, DOCUMENT)
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr
    assert parsed.stdout.strip().endswith("valid")


@pytest.mark.timeout(360)
def test_the_parser_refuses_a_document_that_is_not_valid(parser: Path, tmp_path: Path) -> None:
    broken = json.loads(DOCUMENT.read_text())
    del broken["operations"]["publishEvents"]["channel"]
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    parsed = parse(parser, tmp_path / "broken.json")
    assert parsed.returncode == 1 and "invalid" in parsed.stdout

"""TypeScript types for Node portal backends: clients/typescript/schema.d.ts is
what npm openapi-typescript makes of the current document (clients/openapi.json),
and the small example written against it type-checks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from scripts import generate_client

TYPESCRIPT = generate_client.TYPESCRIPT
TSC = TYPESCRIPT / "node_modules" / ".bin" / "tsc"


@pytest.fixture(scope="module")
def npm_packages() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("needs Node.js and npm (the TypeScript tools are npm packages)")
    if not TSC.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=TYPESCRIPT, check=True, timeout=300)


def type_check(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TSC), "--noEmit", "-p", str(project)], capture_output=True,
                          text=True, timeout=120, check=False)


def test_the_checked_in_document_is_the_current_one() -> None:
    assert generate_client.DOCUMENT.read_text() == generate_client.document_text()


@pytest.mark.timeout(300)
def test_the_types_are_generated_from_the_checked_in_document(
        npm_packages: None, tmp_path: Path) -> None:
    fresh = tmp_path / "schema.d.ts"
    generate_client.typescript_types(generate_client.DOCUMENT, fresh)
    assert fresh.read_text() == (TYPESCRIPT / "schema.d.ts").read_text()


@pytest.mark.timeout(300)
def test_the_example_type_checks(npm_packages: None) -> None:
    checked = type_check(TYPESCRIPT)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.timeout(300)
def test_a_field_the_api_does_not_have_fails_the_type_check(
        npm_packages: None, tmp_path: Path) -> None:
    for name in ("schema.d.ts", "tsconfig.json"):
        shutil.copy(TYPESCRIPT / name, tmp_path / name)
    example = (TYPESCRIPT / "example.ts").read_text()
    (tmp_path / "example.ts").write_text(example.replace("card.last4", "card.last_four"))
    checked = type_check(tmp_path)
    assert checked.returncode != 0 and "last_four" in checked.stdout

"""Regenerates the clients from the current OpenAPI document.

    python -m scripts.generate_client            # rewrite clients/openapi.json, clients/python
                                                 # and clients/typescript/schema.d.ts
    python -m scripts.generate_client --check    # exit 1 when one differs (the tests do this)

clients/openapi.json is the document itself, checked in so a change of the
contract shows in review. The TypeScript types come from npm openapi-typescript
(pinned with a lockfile in clients/typescript/, installed by npm ci on first use).

The document comes from the app itself (api/app.py), not a running server;
the generator is openapi-python-client (pinned in pyproject's dev extra), with
clients/python-config.yaml. Its post-generation hooks format with ruff, which
it finds next to the interpreter.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "clients" / "python"
CONFIG = ROOT / "clients" / "python-config.yaml"
DOCUMENT = ROOT / "clients" / "openapi.json"
TYPESCRIPT = ROOT / "clients" / "typescript"


def openapi_document() -> dict[str, Any]:
    from api.app import create_app
    from cardledger.settings import Settings

    settings = Settings(_env_file=None, data_dir=Path(tempfile.gettempdir()))  # type: ignore[call-arg]
    return create_app(settings).openapi()


def document_text() -> str:
    return json.dumps(openapi_document(), indent=2) + "\n"


def typescript_types(document: Path, into: Path) -> None:
    """schema.d.ts for ``document``, by the pinned openapi-typescript."""
    if not (TYPESCRIPT / "node_modules" / ".bin" / "openapi-typescript").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=TYPESCRIPT, check=True, timeout=300)
    subprocess.run([str(TYPESCRIPT / "node_modules" / ".bin" / "openapi-typescript"),
                    str(document), "--output", str(into)],
                   cwd=TYPESCRIPT, check=True, capture_output=True, timeout=120)


def generate(into: Path) -> None:
    with tempfile.TemporaryDirectory() as work:
        spec = Path(work) / "openapi.json"
        spec.write_text(json.dumps(openapi_document(), indent=2))
        bin_dir = Path(sys.executable).parent
        env = {**os.environ, "RUFF_NO_CACHE": "true",
               "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
        subprocess.run([str(bin_dir / "openapi-python-client"), "generate", "--path", str(spec),
                        "--output-path", str(into), "--config", str(CONFIG), "--overwrite"],
                       check=True, env=env, cwd=work, capture_output=True)


def differences(left: Path, right: Path) -> list[str]:
    compared = filecmp.dircmp(left, right, ignore=["__pycache__", ".ruff_cache"])
    found = [f"only in {left.name}: {n}" for n in compared.left_only]
    found += [f"only in the new one: {n}" for n in compared.right_only]
    found += [f"differs: {n}" for n in compared.diff_files]
    for name in compared.subdirs:
        found += [f"{name}/{d}" for d in differences(left / name, right / name)]
    return found


def stale() -> list[str]:
    found = [] if DOCUMENT.exists() and DOCUMENT.read_text() == document_text() else [
        "clients/openapi.json"]
    with tempfile.TemporaryDirectory() as work:
        fresh = Path(work) / "python"
        generate(fresh)
        found += [f"clients/python: {line}" for line in differences(CLIENT, fresh)]
        types = Path(work) / "schema.d.ts"
        typescript_types(DOCUMENT, types)
        if types.read_text() != (TYPESCRIPT / "schema.d.ts").read_text():
            found.append("clients/typescript/schema.d.ts")
    return found


def main(argv: list[str]) -> int:
    if "--check" in argv:
        found = stale()
        for line in found:
            print(f"stale: {line}; run python -m scripts.generate_client", file=sys.stderr)
        return 1 if found else 0
    DOCUMENT.write_text(document_text())
    shutil.rmtree(CLIENT, ignore_errors=True)
    generate(CLIENT)
    typescript_types(DOCUMENT, TYPESCRIPT / "schema.d.ts")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

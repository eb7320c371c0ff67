"""Regenerates the Python client (clients/python) from the current OpenAPI document.

    python -m scripts.generate_client            # rewrite clients/python
    python -m scripts.generate_client --check    # exit 1 when it differs (the tests do this)

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


def openapi_document() -> dict[str, Any]:
    from api.app import create_app
    from cardledger.settings import Settings

    settings = Settings(_env_file=None, data_dir=Path(tempfile.gettempdir()))  # type: ignore[call-arg]
    return create_app(settings).openapi()


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
    for name, sub in compared.subdirs.items():
        found += [f"{name}/{d}" for d in differences(left / name, right / name)]
    return found


def main(argv: list[str]) -> int:
    if "--check" in argv:
        with tempfile.TemporaryDirectory() as work:
            fresh = Path(work) / "python"
            generate(fresh)
            found = differences(CLIENT, fresh)
        for line in found:
            print(f"clients/python is stale ({line}): run python -m scripts.generate_client",
                  file=sys.stderr)
        return 1 if found else 0
    shutil.rmtree(CLIENT, ignore_errors=True)
    generate(CLIENT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

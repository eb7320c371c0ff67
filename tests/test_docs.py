"""The docs are a contract too: generated pages are current, the README stays a
front door, and every link between pages leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

from api.auth import KeyRing
from scripts import generate_docs

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench/README.md"]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_every_generated_page_matches_the_code_it_is_generated_from() -> None:
    assert generate_docs.stale() == []


def test_the_settings_page_names_every_setting_with_its_description() -> None:
    page = (ROOT / "docs/settings.md").read_text()
    for name, field in generate_docs.Settings.model_fields.items():
        assert field.description, f"{name} has no description"
        assert f"`CARDLEDGER_{name.upper()}`" in page


def test_the_readme_is_a_front_door_of_at_most_10_kb() -> None:
    assert len((ROOT / "README.md").read_bytes()) <= 10 * 1024


def test_every_relative_link_in_the_docs_leads_to_a_file() -> None:
    broken = []
    for page in PAGES:
        for target in LINK.findall(page.read_text()):
            if "://" in target:
                continue
            resolved = (page.parent / target).resolve()
            if not resolved.exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert broken == []


def test_api_keys_written_in_the_docs_are_keys_the_server_accepts() -> None:
    written = [value for page in PAGES
               for value in re.findall(r"CARDLEDGER_API_KEYS='([^'<]+)'", page.read_text())]
    assert written
    for value in written:
        KeyRing.parse(value)  # raises on a key the server would refuse

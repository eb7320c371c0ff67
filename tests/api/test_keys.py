"""API keys as an operator configures them (api/auth.py), in process: the
entries a key ring takes, what it keeps, where it comes from, and the dev
keys file `cardledger serve` writes when none are configured. The HTTP side
(who may do what) is test_authz.py; `serve` itself is test_serve.py."""

from __future__ import annotations

import dataclasses
import hashlib
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from api.auth import (
    DEV_COMPANY,
    ROLES,
    KeyConfigError,
    KeyRing,
    Principal,
    ensure_dev_keys,
    keys_configured,
    read_keys_file,
)
from cardledger.settings import Settings

SIXTEEN = "k" * 16  # the shortest key the docs allow (docs/http-api.md: at least 16 characters)


def settings(tmp_path: Path, api_keys: str = "", api_keys_file: Path | None = None,
             data_dir: Path | None = None) -> Settings:
    return Settings(data_dir=data_dir or tmp_path / "data", api_keys=SecretStr(api_keys),
                    api_keys_file=api_keys_file)


def test_a_key_of_exactly_16_characters_is_accepted_and_15_is_not() -> None:
    # given entries whose keys are 16 and 15 characters long
    # when each is parsed, then only the 16-character one makes a key ring
    ring = KeyRing.parse(f"{SIXTEEN}=acme:office")
    assert ring.authenticate(SIXTEEN) is not None
    with pytest.raises(KeyConfigError, match="shorter than 16"):
        KeyRing.parse(f"{SIXTEEN[:15]}=acme:office")


def test_an_entry_without_a_key_is_reported_as_malformed_not_as_short() -> None:
    # given an entry that has the grant but nothing before the "="
    # then the operator reads what is wrong with it: not key=company:role
    with pytest.raises(KeyConfigError, match="is not key=company:role"):
        KeyRing.parse("=acme:office")


def test_the_key_id_is_the_first_12_hex_digits_of_the_keys_sha256() -> None:
    # given a key; when it authenticates, then its id (what logs show) is a
    # 12-digit prefix of its digest, never the key
    principal = KeyRing.parse(f"{SIXTEEN}=acme:office").authenticate(SIXTEEN)
    assert principal is not None
    assert principal.key_id == hashlib.sha256(SIXTEEN.encode()).hexdigest()[:12]
    assert str(principal) == f"acme:office:{principal.key_id}"


def test_a_principal_cannot_be_changed_once_a_key_is_authenticated() -> None:
    # given the principal a key authenticated as; when code tries to raise its role
    principal = Principal("acme", "portal", "0123456789ab")
    # then it cannot: a route holds the caller it was given
    with pytest.raises(dataclasses.FrozenInstanceError):
        principal.role = "admin"  # type: ignore[misc]


def test_a_key_ring_counts_its_keys_and_skips_empty_entries() -> None:
    ring = KeyRing.parse(f" {SIXTEEN}=acme:office , ,{'p' * 20}=*:auditor,")
    assert len(ring) == 2


def test_a_bad_line_of_a_keys_file_is_reported_by_its_line_number(tmp_path: Path) -> None:
    # given a keys file whose second line has an unknown role
    path = tmp_path / "keys.txt"
    path.write_text(f"{SIXTEEN}=acme:office\n{'q' * 20}=acme:superuser\n")
    # when it is read, then the error names line 2 (and not the key)
    with pytest.raises(KeyConfigError, match=r"keys.txt line 2: role 'superuser'") as error:
        read_keys_file(path)
    assert "q" * 20 not in str(error.value)


def test_keys_come_from_the_setting_and_the_keys_file_together(tmp_path: Path) -> None:
    # given one key in CARDLEDGER_API_KEYS and another in the keys file
    path = tmp_path / "keys.txt"
    path.write_text(f"# the auditors\n{'a' * 20}=*:auditor\n")
    ring = KeyRing.from_settings(settings(tmp_path, f"{SIXTEEN}=acme:office", path))
    # then both authenticate
    assert len(ring) == 2
    found = [ring.authenticate(key) for key in (SIXTEEN, "a" * 20)]
    assert [(p.company, p.role) for p in found if p] == [("acme", "office"), ("*", "auditor")]


@pytest.mark.parametrize(("api_keys", "with_file", "configured"), [
    ("", False, False), ("  ", False, False), (f"{SIXTEEN}=acme:office", False, True),
    ("", True, True)])
def test_keys_count_as_configured_when_either_source_is_set(
        tmp_path: Path, api_keys: str, with_file: bool, configured: bool) -> None:
    keys_file = tmp_path / "keys.txt" if with_file else None
    assert keys_configured(settings(tmp_path, api_keys, keys_file)) is configured


@pytest.mark.parametrize("data_dir", ["data", "deep/er/data", "."])
def test_the_dev_keys_file_gets_one_owner_only_key_per_role_for_the_demo_company(
        tmp_path: Path, data_dir: str) -> None:
    # given a data directory that is missing, missing with its parents, or already there
    # when serve makes its dev keys
    path = ensure_dev_keys(settings(tmp_path, data_dir=tmp_path / data_dir))
    # then the file is in the data directory, readable by its owner alone,
    # and holds one working key per role for the demo company
    assert path == tmp_path / data_dir / "dev-api-keys.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    ring = KeyRing(read_keys_file(path))
    keys = [line.rpartition("=")[0] for line in path.read_text().splitlines()
            if not line.startswith("#")]
    found = [ring.authenticate(key) for key in keys]
    assert [(p.company, p.role) for p in found if p] == [(DEV_COMPANY, role) for role in ROLES]
    assert path.read_text().endswith("\n")


def test_the_dev_keys_file_is_made_once_and_kept(tmp_path: Path) -> None:
    # given the dev keys file serve made on its first start
    first = ensure_dev_keys(settings(tmp_path)).read_text()
    # when serve starts again, then the same keys are still valid
    assert ensure_dev_keys(settings(tmp_path)).read_text() == first

"""API keys, roles and who is acting.

Keys are configured, never built in: ``CARDLEDGER_API_KEYS`` holds
``key=company:role`` entries separated by commas, ``CARDLEDGER_API_KEYS_FILE``
one entry a line (``#`` comments allowed). Only SHA-256 digests of keys are
kept, and a presented key's digest is compared with each in constant time.
Company ``*`` makes a key valid for every company (for a platform's own
admins or auditors); its role limits it like any other key.

Routes declare what they need with ``require(*roles)`` (a FastAPI dependency
returning the ``Principal``); commands take the ``X-Actor`` header
(``ActorHeader``) and turn it into the events' ``Provenance`` with
``provenance_of``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.params import CompanyPath
from api.problems import Problem
from api.ratelimit import RateLimiter
from cardledger.settings import Settings
from domain.ids import EXTERNAL_ID
from domain.provenance import ACTOR, Provenance

ROLES = ("portal", "office", "auditor", "admin")
# Where a change came from, recorded on its events.
SOURCE_BY_ROLE = {"portal": "portal", "office": "office", "admin": "admin", "auditor": "api"}
ANY_COMPANY = "*"
MIN_KEY_LENGTH = 16
DEV_COMPANY = "acme-plumbing"
DEV_KEYS_FILE = "dev-api-keys.txt"


class KeyConfigError(ValueError):
    """A key entry that cannot be used; the message never contains the key."""


@dataclass(frozen=True)
class Principal:
    company: str  # a company id, or "*" for every company
    role: str
    key_id: str  # a short prefix of the key's digest: safe to log, tells keys apart

    def may_act_for(self, company: str) -> bool:
        return self.company in (ANY_COMPANY, company)

    def __str__(self) -> str:
        return f"{self.company}:{self.role}:{self.key_id}"


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def parse_entry(entry: str, origin: str) -> tuple[bytes, Principal]:
    key, sep, grant = entry.strip().rpartition("=")
    company, _, role = grant.partition(":")
    if not sep or not key:
        raise KeyConfigError(f"{origin}: an entry is not key=company:role")
    if len(key) < MIN_KEY_LENGTH:
        raise KeyConfigError(f"{origin}: a key is shorter than {MIN_KEY_LENGTH} characters")
    if company != ANY_COMPANY and not EXTERNAL_ID.match(company):
        raise KeyConfigError(f"{origin}: company {company!r} is not a valid company id or '*'")
    if role not in ROLES:
        raise KeyConfigError(f"{origin}: role {role!r} is not one of {', '.join(ROLES)}")
    digest = _digest(key)
    return digest, Principal(company, role, digest.hex()[:12])


class KeyRing:
    def __init__(self, entries: Iterable[tuple[bytes, Principal]] = ()) -> None:
        self._entries = list(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def authenticate(self, key: str) -> Principal | None:
        presented = _digest(key)
        found = None
        for digest, principal in self._entries:  # no early exit: same work for every key
            if hmac.compare_digest(digest, presented):
                found = principal
        return found

    @classmethod
    def parse(cls, entries: str, origin: str = "CARDLEDGER_API_KEYS") -> KeyRing:
        """From comma-separated ``key=company:role`` entries."""
        return cls(parse_entry(e, origin) for e in entries.split(",") if e.strip())

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        entries = cls.parse(settings.api_keys.get_secret_value())._entries
        if settings.api_keys_file is not None:
            entries += read_keys_file(settings.api_keys_file)
        return cls(entries)


def read_keys_file(path: Path) -> list[tuple[bytes, Principal]]:
    lines = path.read_text().splitlines()
    return [parse_entry(line, f"{path} line {number}")
            for number, line in enumerate(lines, 1)
            if line.strip() and not line.lstrip().startswith("#")]


def keys_configured(settings: Settings) -> bool:
    return bool(settings.api_keys.get_secret_value().strip()) or settings.api_keys_file is not None


def ensure_dev_keys(settings: Settings) -> Path:
    """The dev keys file in the data directory (created once, owner-only):
    one random key per role for the demo company."""
    path = settings.data_dir / DEV_KEYS_FILE
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        lines = ["# Development API keys, made by `cardledger serve` because none were configured.",
                 "# Use one as: Authorization: Bearer <key>. Delete this file to get new ones."]
        lines += [f"{secrets.token_urlsafe(24)}={DEV_COMPANY}:{role}" for role in ROLES]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")
    return path


# --- FastAPI dependencies ------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`")


# The dependencies below are ``async def`` although they never await: they do no
# I/O (a digest, a dict, a lock held for a few instructions), and FastAPI runs a
# plain ``def`` dependency in the thread pool, a hand-off to another thread and
# back for every request (bench/README.md §1b).
async def authenticate(request: Request,
                       credentials: Annotated[HTTPAuthorizationCredentials | None,
                                              Depends(_bearer)],
                       ) -> Principal:
    keys: KeyRing = request.app.state.keys
    principal = keys.authenticate(credentials.credentials) if credentials else None
    if principal is None:
        raise Problem(401, "unauthorized", "Missing or unknown API key",
                      "Send Authorization: Bearer <key>",
                      headers={"WWW-Authenticate": "Bearer"})
    request.state.caller = str(principal)
    limiter: RateLimiter = request.app.state.rate_limiter
    wait = limiter.take(principal.key_id)
    if wait:
        raise Problem(429, "rate-limited", "Too many requests for this key",
                      f"Try again in {wait} s", headers={"Retry-After": str(wait)})
    return principal


Authenticated = Annotated[Principal, Depends(authenticate)]


def require(*roles: str) -> Callable[..., Principal]:
    """Dependency: a key with one of ``roles``, valid for the path's company."""
    unknown = set(roles) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"

    async def dependency(company: CompanyPath, principal: Authenticated) -> Principal:
        if not principal.may_act_for(company):
            raise Problem(403, "wrong-company", "This key belongs to another company")
        if principal.role not in roles:
            raise Problem(403, "wrong-role", "This key's role may not do this",
                          f"Allowed roles: {', '.join(roles)}; this key is {principal.role}")
        return principal

    return dependency


ActorHeader = Annotated[str, Header(
    alias="X-Actor", pattern=ACTOR.pattern,
    description="Who is acting: `customer:<id>` (portal keys: the path's customer) "
                "or `user:<id>` (office and admin keys)",
    examples=["customer:1001", "user:jdoe"])]


def provenance_of(principal: Principal, actor: str, customer: str | None) -> Provenance:
    kind = actor.partition(":")[0]
    if principal.role == "portal":
        if customer is None or actor != f"customer:{customer}":
            raise Problem(403, "wrong-actor", "A portal key acts only as the path's customer",
                          "Send X-Actor: customer:<the customer id in the path>")
    elif kind != "user":
        raise Problem(403, "wrong-actor", "Office, admin and auditor keys act as a user",
                      "Send X-Actor: user:<id>")
    return Provenance(actor, SOURCE_BY_ROLE[principal.role])

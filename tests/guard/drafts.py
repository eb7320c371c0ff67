"""Requests to cardledger's routes as its clients send them, and the ASGI
scope uvicorn would make of each."""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

from tests.guard.choices import Chooser, coin
from tests.guard.documents import json_style, to_json
from tests.guard.ordinary import timestamp


@dataclass(frozen=True)
class Target:
    """Whom a request is about and the keys it carries; letters only, so
    nothing but the attack holds digits."""
    company: str = "coacme"
    customer: str = "cujdoe"
    card: str = "card_" + "q" * 26
    keys: dict[str, str] = field(default_factory=lambda: {
        role: f"{role}key" + "x" * 24 for role in ("portal", "office", "auditor", "admin")})


DEFAULT_TARGET = Target()


@dataclass(frozen=True)
class Route:
    method: str
    segments: tuple[str, ...]  # "{company}", "{customer}", "{card}" are filled in
    role: str | None
    body: Callable[[Chooser], dict[str, Any]] | None = None
    query: Callable[[Chooser], list[tuple[str, str]]] | None = None


def _add_card(c: Chooser) -> dict[str, Any]:
    return {"token": c.choice(("pm_card_visa", "pm_card_mastercard", "pm_card_amex")),
            "make_primary": coin(c)}


def _pay(c: Chooser) -> dict[str, Any]:
    return {"invoice_id": "INV-" + c.text(string.ascii_uppercase, 3, 6),
            "amount": c.integer(1, 100_000), "currency": "usd"}


def _as_of(c: Chooser) -> list[tuple[str, str]]:
    # "T" and at most microseconds: the guard refuses some other instants sent
    # percent-encoded (tests/guard/test_known_gaps.py), which must not make an
    # attack test fail for a reason the attack is not about.
    return [("as_of", timestamp(c, between="T", fraction=6))] if coin(c) else []


def _page(c: Chooser) -> list[tuple[str, str]]:
    return [("limit", str(c.integer(1, 100)))] if coin(c) else []


_CUSTOMER = ("v1", "companies", "{company}", "customers", "{customer}")
_CARDS = (*_CUSTOMER, "payment-methods")
ADD_CARD = Route("POST", _CARDS, "portal", _add_card)
REGISTER = Route("PUT", _CUSTOMER, "office")
PAY = Route("POST", (*_CUSTOMER, "payments"), "portal", _pay)
ROUTES = (
    ADD_CARD,
    REGISTER,
    Route("POST", (*_CARDS, "{card}", "primary"), "portal"),
    Route("DELETE", (*_CARDS, "{card}"), "portal"),
    Route("GET", _CARDS, "office", query=_as_of),
    Route("GET", (*_CARDS, "history"), "office", query=_page),
    PAY,
    Route("GET", (*_CUSTOMER, "events"), "auditor"),
    Route("PUT", ("v1", "companies", "{company}", "settings", "online-payments"), "admin",
          lambda c: {"enabled": coin(c)}),
    Route("GET", ("healthz",), None),
)
WRITES = ("POST", "PUT", "DELETE")


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # as the server decodes it
    raw_path: bytes  # as sent
    query_string: bytes
    headers: tuple[tuple[bytes, bytes], ...]  # lower-case names, as ASGI gives them
    body: bytes = b""

    def __repr__(self) -> str:
        target = self.raw_path + (b"?" + self.query_string if self.query_string else b"")
        return f"{self.method} {target!r} headers={list(self.headers)!r} body={self.body!r}"

    def scope(self) -> dict[str, Any]:
        """The ASGI scope uvicorn would build for this request."""
        return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                "method": self.method, "scheme": "http", "root_path": "",
                "path": self.path, "raw_path": self.raw_path,
                "query_string": self.query_string, "headers": list(self.headers),
                "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}


@dataclass
class Draft:
    """A request being put together: segments, query pairs, headers, body."""
    method: str
    segments: list[str]
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: dict[str, Any] | None
    raw_headers: list[tuple[bytes, bytes]] = field(default_factory=list)  # as sent
    raw_body: bytes | None = None  # as sent, instead of ``body`` as JSON

    def request(self, c: Chooser) -> Request:
        """The request as sent: segments and query percent-encoded, the body
        as JSON text in a random style."""
        safe = c.choice(("", "-._~", "-._~!$&'()*+,;=:@"))
        raw = "/" + "/".join(quote(segment, safe=safe) for segment in self.segments)
        query = encoded_query(c, self.query)
        headers = [(name.encode(), value.encode()) for name, value in self.headers.items()]
        body = self.raw_body
        if body is None and self.body is not None:
            body = to_json(self.body, json_style(c)).encode()
        return Request(self.method, "/" + "/".join(self.segments), raw.encode(),
                       query.encode(), tuple(headers + self.raw_headers), body or b"")


def encoded_query(c: Chooser, pairs: list[tuple[str, str]]) -> str:
    encode = c.choice((quote, quote_plus))
    return "&".join(f"{encode(name, safe='')}={encode(value, safe='')}" for name, value in pairs)


def draft(c: Chooser, target: Target, route: Route | None = None) -> Draft:
    """An ordinary request to one of cardledger's routes, as its clients send it."""
    route = route or c.choice(ROUTES)
    fill = {"{company}": target.company, "{customer}": target.customer, "{card}": target.card}
    segments = [fill.get(s, s) for s in route.segments]
    headers = {"host": "cardledger.test", "user-agent": c.choice(("portal/2.3", "python-httpx"))}
    if route.role:
        headers["authorization"] = "Bearer " + target.keys[route.role]
    if route.method in WRITES and route.role:
        headers["x-actor"] = (f"customer:{target.customer}" if route.role == "portal"
                              else "user:jdoe")
        if coin(c):
            headers["idempotency-key"] = "key-" + c.text(string.ascii_letters, 8, 16)
    body = route.body(c) if route.body else None
    if body is not None:
        headers["content-type"] = c.choice(("application/json", "application/json; charset=utf-8",
                                            "application/merge-patch+json"))
    query = route.query(c) if route.query else []
    return Draft(route.method, segments, query, headers, body)


def with_body(d: Draft) -> Draft:
    """Every request may carry a JSON body, a route that takes none too."""
    if d.body is None:
        d.body = {}
        d.headers["content-type"] = "application/json"
    return d

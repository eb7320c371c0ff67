"""The card-number guard: refuse anything that looks like card data, before routing.

Cards reach cardledger only as processor tokens. A request whose path, query,
headers or body hold a 13-19 digit run passing the Luhn check (spaces or
dashes allowed between digits), or a field named like a card number or CVC,
is answered 422 before any route, model or log sees it. The refusal says
where (body, query, header, path), never what, so the value cannot leak
through the answer either.

Known cost: a random identifier that happens to contain a Luhn-valid run of
13+ digits is refused too. Clients should build idempotency keys and request
ids from letters as well as digits (e.g. ``secrets.token_urlsafe``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response

# A run of digits where single spaces or dashes may separate them.
_DIGIT_RUN = re.compile(r"\d(?:[ -]?\d)*")
_SEPARATOR = re.compile(r"[ -]")
SENSITIVE_NAMES = frozenset({
    "number", "card_number", "cardnumber", "pan", "cvc", "cvv", "cvc2", "cvv2", "csc",
    "security_code",
})
# Hex HMACs made by the processor, never typed by anyone: about 1 in 200 of
# Stripe's webhook signatures holds a Luhn-valid 13+ digit run by chance.
SIGNATURE_HEADERS = frozenset({b"stripe-signature"})
# cardledger's own ids (card_..., pay_...) are letters only (domain/ids.py), so
# they never hold a digit run and need no exception here.
MAX_BODY_BYTES = 1 << 20  # far above any legitimate request; bounds what we buffer
REDACTED = "[redacted]"


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _candidates(run: str) -> Iterator[str]:
    """Every span of whole separator groups holding 13-19 digits: a card number
    written in a longer grouped sequence is still found."""
    groups = _SEPARATOR.split(run)
    for start in range(len(groups)):
        digits = ""
        for group in groups[start:]:
            digits += group
            if len(digits) > 19:
                break
            if len(digits) >= 13:
                yield digits


def _is_card_run(run: str) -> bool:
    return any(luhn_valid(candidate) for candidate in _candidates(run))


def looks_like_card_number(text: str) -> bool:
    return any(_is_card_run(m.group()) for m in _DIGIT_RUN.finditer(text))


def redact(text: str) -> str:
    """The text with every card-like digit run replaced, for logging paths and ids."""
    return _DIGIT_RUN.sub(lambda m: REDACTED if _is_card_run(m.group()) else m.group(), text)


def sensitive_name(name: str) -> bool:
    return name.strip().lower().replace("-", "_") in SENSITIVE_NAMES


def _json_holds_card_data(value: Any) -> bool:
    if isinstance(value, dict):
        return any(sensitive_name(k) or looks_like_card_number(k) or _json_holds_card_data(v)
                   for k, v in value.items())
    if isinstance(value, list):
        return any(_json_holds_card_data(item) for item in value)
    if isinstance(value, bool) or value is None:
        return False
    return looks_like_card_number(str(value))


def _pairs_hold_card_data(pairs: list[tuple[str, str]]) -> bool:
    return any(sensitive_name(k) or looks_like_card_number(k) or looks_like_card_number(v)
               for k, v in pairs)


def where_card_data_is(scope: Scope, body: bytes) -> str | None:
    """'path', 'query', 'header' or 'body' for the first place holding card
    data; None when the request is clean."""
    if looks_like_card_number(unquote(scope.get("path", ""))):
        return "path"
    query = scope.get("query_string", b"").decode("latin-1")
    if looks_like_card_number(unquote(query)) or _pairs_hold_card_data(
            parse_qsl(query, keep_blank_values=True)):
        return "query"
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", [])
               if k.lower() not in SIGNATURE_HEADERS]
    if _pairs_hold_card_data(headers):
        return "header"
    if body and _body_holds_card_data(body):
        return "body"
    return None


def _body_holds_card_data(body: bytes) -> bool:
    text = body.decode("utf-8", "replace")
    if looks_like_card_number(text):
        return True
    try:
        # Parsed as well as scanned: JSON escapes (\u0034...) hide digits from the scan.
        return _json_holds_card_data(json.loads(text))
    except ValueError:
        return _pairs_hold_card_data(parse_qsl(text, keep_blank_values=True))


class CardNumberGuard:
    """ASGI middleware; buffers the body (bounded), inspects, then replays it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body, too_large = await _read_body(receive)
        request_id = scope.setdefault("state", {}).get("request_id")
        if too_large:
            response = problem_response(413, "request-too-large", "The request body is too large",
                                        f"At most {MAX_BODY_BYTES} bytes", request_id=request_id)
            await response(scope, receive, send)
            return
        where = where_card_data_is(scope, body)
        if where is not None:
            response = problem_response(
                422, "card-data-refused", "The request holds something like card data",
                f"Something in the {where} looks like a card number or CVC. cardledger takes "
                "cards only as processor tokens; the request was refused and not recorded.",
                request_id=request_id)
            await response(scope, receive, send)
            return
        await self.app(scope, _replaying(body, receive), send)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False  # the client went away; the app will see it too
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _replaying(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay

"""The card-number guard: the one door every HTTP request passes, before routing.

Cards reach cardledger only as processor tokens. The guard refuses, with
problem+json and before any route, model or log sees the value:

* card data (cardledger/card_data.py says exactly what counts) in the path,
  the query, any header name or value, or any key, string or number of the
  body: 422 ``card-data-refused``. The answer says where, never what;
* a body that is not strict UTF-8 JSON (api/json_body.py): 422 or 415;
* a body with a ``Content-Encoding``, or a media type other than JSON: 415;
* more than the bounds below: 413, 414, 431, or 408 for a body that trickles.

**One parse.** The body is parsed once, here; the document the guard walked
is what the routes receive (api/routing.py), so no second parser can read the
bytes differently (UTF-16 and a BOM were once such a difference).

**Bounded cost.** The sizes below bound the input, every check is linear in
it, and an inspection of more than ``INLINE_BYTES`` runs in a worker thread,
so no request holds the event loop for more than a millisecond or so. Texts
read clean before (a caller's headers, a path, a token) are known by a keyed
digest and not read again (api/remembered_verdicts.py): values are never kept.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, unquote, unquote_plus

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.json_body import check_storable, read_json, strings_of
from api.problems import Problem, problem_response
from api.remembered_verdicts import RememberedVerdicts
from cardledger.card_data import TooDeeplyEncoded, is_sensitive_name, readings

# Where the guard leaves the parsed body for the routes (api/routing.py).
PARSED_BODY = "cardledger.parsed_body"

MAX_BODY_BYTES = 64 * 1024  # the largest legitimate body, a Stripe event, is ~5 KiB
MAX_TARGET_BYTES = 8 * 1024  # path and query together
MAX_HEADER_BYTES = 16 * 1024  # all header names and values together
BODY_SECONDS = 10.0  # a body still arriving after this is a stalled or hostile client
INLINE_BYTES = 8 * 1024  # inspected on the event loop at most this much input

# A Stripe-Signature that is exactly a timestamp and hex HMAC digests: digests
# hold digit runs by chance (1 in 200 has a Luhn-valid one) and carry nothing a
# caller chose, so they are not scanned. Any other content is.
_STRIPE_SIGNATURE = re.compile(r"t=\d{1,12}(?:,v\d=[0-9a-f]{64})+")
_JSON_MEDIA_TYPE = re.compile(r"application/(?:[a-z0-9.+-]+\+)?json")
_SINGLE_HEADERS = (b"content-type", b"content-encoding", b"content-length",
                   b"transfer-encoding")
# What every text is read with: clean texts seen before are known by digest
# (api/remembered_verdicts.py), so a repeated header, path or token costs a hash.
_VERDICTS = RememberedVerdicts()


def card_data_refused(where: str) -> Problem:
    return Problem(
        422, "card-data-refused", "The request holds something like card data",
        f"Something in the {where} looks like a card number or CVC. cardledger takes cards "
        "only as processor tokens; the request was refused and not recorded.")


class CardNumberGuard:
    """ASGI middleware; reads the body (bounded), inspects it all, then replays it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_bounds(scope)
            body = await _read_body(scope, receive)
            if _input_size(scope, body) <= INLINE_BYTES:
                document = inspect_request(scope, body)
            else:
                document = await run_in_threadpool(inspect_request, scope, body)
        except Problem as refused:
            request_id = scope.setdefault("state", {}).get("request_id")
            response = problem_response(refused.status, refused.code, refused.title,
                                        refused.detail, request_id=request_id,
                                        headers=refused.headers)
            await response(scope, receive, send)
            return
        scope[PARSED_BODY] = document
        await self.app(scope, _replaying(body, receive), send)


def check_bounds(scope: Scope) -> None:
    """Sizes first, so everything after is linear in at most these bounds."""
    target = len(scope.get("raw_path") or scope.get("path", "").encode()) + len(
        scope.get("query_string", b""))
    if target > MAX_TARGET_BYTES:
        raise Problem(414, "uri-too-long", "The path and query are too long",
                      f"At most {MAX_TARGET_BYTES} bytes")
    headers = scope.get("headers", [])
    if sum(len(name) + len(value) for name, value in headers) > MAX_HEADER_BYTES:
        raise Problem(431, "headers-too-large", "The request's headers are too large",
                      f"At most {MAX_HEADER_BYTES} bytes in all")
    names = [name.lower() for name, _ in headers]
    if any(names.count(name) > 1 for name in _SINGLE_HEADERS):
        raise Problem(422, "ambiguous-headers",
                      "A header that must be single is repeated",
                      "Send Content-Type, Content-Encoding and Content-Length at most once")
    declared = _header(scope, b"content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise _too_large()


def inspect_request(scope: Scope, body: bytes) -> Any:
    """The parsed body (None when there is none); raises Problem to refuse."""
    _inspect_path(scope)
    _inspect_query(scope)
    _inspect_headers(scope)
    if not body:
        return None
    _check_media_type(scope)
    document = read_json(body, check_number=_refuse_card_number_in("body"))
    for text, is_key in strings_of(document):
        check_storable(text)
        if (is_key and is_sensitive_name(text)) or _VERDICTS.looks_like_card_number(text):
            raise card_data_refused("body")
    return document


def _inspect_path(scope: Scope) -> None:
    """The path as the server decoded it, and as we decode the raw one (they
    differ only if the server's decoding does). In a URL a ``%`` is always an
    escape, so the still-encoded text is never read as it stands."""
    path = scope.get("path", "")
    decoded_raw = unquote(_text(scope.get("raw_path") or b""))
    # Usually the same text (no escapes in the path): read it once then.
    if _VERDICTS.looks_like_card_number(path) or (
            decoded_raw != path and _VERDICTS.looks_like_card_number(decoded_raw)):
        raise card_data_refused("path")


def _inspect_query(scope: Scope) -> None:
    query = _text(scope.get("query_string", b""))
    if not query:
        return
    # Decoded once as the routes will read it ('+' a space), then every reading.
    if _VERDICTS.looks_like_card_number(unquote_plus(query)) or any(
            _names_card_data(name) for name, _ in parse_qsl(query, keep_blank_values=True)):
        raise card_data_refused("query")


def _inspect_headers(scope: Scope) -> None:
    for raw_name, raw_value in scope.get("headers", []):
        name, value = _text(raw_name), _text(raw_value)
        if _names_card_data(name) or _VERDICTS.looks_like_card_number(name):
            raise card_data_refused("header")
        if name.lower() == "stripe-signature" and _STRIPE_SIGNATURE.fullmatch(value):
            continue
        if _VERDICTS.looks_like_card_number(value):
            raise card_data_refused("header")
        if name.lower() == "cookie" and any(
                _names_card_data(part.partition("=")[0]) for part in value.split(";")):
            raise card_data_refused("header")


def _check_media_type(scope: Scope) -> None:
    encoding = (_header(scope, b"content-encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise Problem(415, "unsupported-content-encoding",
                      "The body's Content-Encoding is not accepted",
                      "Send the body unencoded (no Content-Encoding, or identity)")
    content_type = _header(scope, b"content-type")
    if content_type is None:
        return  # read as JSON, as FastAPI would; strictly, as always
    media_type, *parameters = (part.strip().lower() for part in content_type.split(";"))
    charsets = [value.strip('"') for name, _, value in
                (parameter.partition("=") for parameter in parameters) if name.strip() == "charset"]
    if not _JSON_MEDIA_TYPE.fullmatch(media_type) or any(
            charset not in ("utf-8", "utf8") for charset in charsets):
        raise Problem(415, "unsupported-media-type",
                      "The body's media type or encoding is not accepted",
                      "Send application/json in UTF-8 (RFC 8259)")


def _refuse_card_number_in(where: str) -> Any:
    def check(literal: str) -> None:
        if _VERDICTS.looks_like_card_number(literal):
            raise card_data_refused(where)

    return check


@lru_cache(maxsize=1024)
def _names_card_data(name: str) -> bool:
    # Remembered: header and parameter names repeat on every request, and
    # unlike values they are never secrets (an API key is a value).
    try:
        return any(is_sensitive_name(form) for form in readings(name))
    except TooDeeplyEncoded:
        return True


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name.lower() == wanted:
            return _text(value)
    return None


def _text(raw: bytes) -> str:
    """Header and URL bytes as text: UTF-8 when they are (so non-ASCII digits
    are seen as digits), else Latin-1, which decodes any byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _input_size(scope: Scope, body: bytes) -> int:
    return (len(body) + len(scope.get("query_string", b"")) + len(scope.get("raw_path") or b"")
            + sum(len(name) + len(value) for name, value in scope.get("headers", [])))


def _too_large() -> Problem:
    return Problem(413, "request-too-large", "The request body is too large",
                   f"At most {MAX_BODY_BYTES} bytes")


async def _read_body(scope: Scope, receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        with anyio.fail_after(BODY_SECONDS):
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return b"".join(chunks)  # the client went away; the app will see it too
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise _too_large()
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
    except TimeoutError:
        raise Problem(408, "request-timeout", "The request body did not arrive in time",
                      f"Send the whole body within {BODY_SECONDS:g} seconds") from None


def _replaying(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay

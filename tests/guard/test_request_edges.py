"""The guard's edges, in process: each bound at its exact value and one past
it (docs/card-data.md's table: 64 KiB body, 8 KiB target, 16 KiB headers,
nesting 32 deep), the body handed on byte for byte, and the places outside
the body the guard reads (a cookie's names, a bare query name, a header in
Latin-1, a scope without raw_path). Written from mutation testing
(docs/testing.md): each test fails with one small bug planted in
api/guard.py or api/json_body.py."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import pytest

from api.guard import CardNumberGuard, check_bounds, inspect_request
from api.json_body import read_json
from api.problems import Problem

VISA = "4242424242424242"
KIB = 1024  # the bounds below are the documented figures, not the module's constants


def scope(path: str = "/healthz", query: bytes = b"",
          headers: list[tuple[bytes, bytes]] | None = None,
          raw_path: bytes | None = None) -> dict[str, Any]:
    """An HTTP scope as uvicorn builds it (lower-case header names)."""
    return {"type": "http", "method": "POST", "path": path,
            "raw_path": path.encode() if raw_path is None else raw_path,
            "query_string": query, "headers": [(b"host", b"cardledger.test"), *(headers or [])]}


def refusal(call: Any, *args: Any) -> tuple[int, str] | None:
    try:
        call(*args)
    except Problem as refused:
        return refused.status, refused.code
    return None


def inspected(request: dict[str, Any], body: bytes = b"") -> tuple[int, str] | None:
    return refusal(inspect_request, request, body)


CARD_DATA = (422, "card-data-refused")


# --- bounds ---------------------------------------------------------------------------

def test_a_path_and_query_of_8_kib_pass_and_one_byte_more_is_414() -> None:
    path = "/" + "a" * (8 * KIB - 1 - 4)
    assert refusal(check_bounds, scope(path, query=b"q=12")) is None
    assert refusal(check_bounds, scope(path, query=b"q=123")) == (414, "uri-too-long")


def test_the_target_is_measured_as_sent_not_as_decoded() -> None:
    # given a path percent-encoded to 9 KiB that decodes to 3 KiB
    raw = b"/" + b"%41" * (3 * KIB)
    # then the bytes on the wire count
    assert refusal(check_bounds, scope("/" + "A" * (3 * KIB), raw_path=raw)) == (
        414, "uri-too-long")


def test_headers_of_16_kib_in_all_pass_and_one_byte_more_is_431() -> None:
    host = len(b"host") + len(b"cardledger.test")
    filler = 16 * KIB - host - len(b"x-filler")
    assert refusal(check_bounds, scope(headers=[(b"x-filler", b"a" * filler)])) is None
    assert refusal(check_bounds, scope(headers=[(b"x-filler", b"a" * (filler + 1))])) == (
        431, "headers-too-large")


def test_a_content_type_sent_twice_is_ambiguous_and_refused() -> None:
    once = [(b"content-type", b"application/json")]
    assert refusal(check_bounds, scope(headers=once)) is None
    assert refusal(check_bounds, scope(headers=once * 2)) == (422, "ambiguous-headers")


@pytest.mark.parametrize(("declared", "answer"), [
    (b"65536", None), (b"65537", (413, "request-too-large")),
    (b"12abc", (413, "request-too-large"))])
def test_a_declared_content_length_is_checked_before_the_body_is_read(
        declared: bytes, answer: tuple[int, str] | None) -> None:
    assert refusal(check_bounds, scope(headers=[(b"content-length", declared)])) == answer


def guarded(body: bytes, chunk: int = 16 * KIB
            ) -> tuple[list[dict[str, Any]], bytes, list[str]]:
    """Sends the body through the guard in chunks; what was sent back, and
    the body the app behind the guard read from its receive, and the type
    of the message its next receive got."""
    chunks = [body[i:i + chunk] for i in range(0, len(body), chunk)]
    messages = [{"type": "http.request", "body": part, "more_body": i < len(chunks) - 1}
                for i, part in enumerate(chunks)]
    sent: list[dict[str, Any]] = []
    received = bytearray()
    after: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        received.extend(message["body"])
        after.append((await receive())["type"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    request = scope("/v1/anything", headers=[(b"content-type", b"application/json")])
    # In a thread of its own: a test run that drove the browser (Playwright's sync
    # API) before this leaves an event loop running in the main thread.
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(anyio.run, CardNumberGuard(app), request, receive, send).result()
    return sent, bytes(received), after


def json_of_size(size: int) -> bytes:
    return b'{"note": "' + b"a" * (size - 12) + b'"}'


def test_a_body_of_exactly_64_kib_reaches_the_app_byte_for_byte() -> None:
    # given a JSON body of exactly 64 KiB, sent in four chunks
    body = json_of_size(64 * KIB)
    # when it passes the guard, then the app reads the very bytes sent
    sent, received, _ = guarded(body)
    assert sent[0]["status"] == 204
    assert received == body


def test_after_the_replayed_body_the_app_hears_the_client_again() -> None:
    # given a body the guard has read and replayed to the app
    _, _, after = guarded(b'{"token": "pm_card_visa"}')
    # when the app receives again (Starlette does, to notice a disconnect),
    # then it gets the client's next message, not the body a second time
    assert after == ["http.disconnect"]


def test_a_body_one_byte_over_64_kib_is_413() -> None:
    sent, received, _ = guarded(json_of_size(64 * KIB + 1))
    assert sent[0]["status"] == 413
    assert received == b""


# --- places outside the body ----------------------------------------------------------

def test_a_card_number_in_the_path_is_refused_when_the_server_gives_no_raw_path() -> None:
    # given a server that leaves out raw_path (optional in ASGI)
    request = scope(f"/v1/companies/acme/customers/{VISA}")
    del request["raw_path"]
    assert inspected(request) == CARD_DATA


def test_a_cookie_named_like_card_data_is_refused() -> None:
    assert inspected(scope(headers=[(b"cookie", b"session=abc; cvc=737")])) == CARD_DATA


def test_a_header_value_that_is_a_sensitive_word_is_not_a_name_and_passes() -> None:
    # only a cookie's values carry names; "number" here is a value
    assert inspected(scope(headers=[(b"x-sort-by", b"number")])) is None


@pytest.mark.parametrize("query", [b"cvc", b"cvc=", b"page=2&card_number="])
def test_a_query_name_naming_card_data_is_refused_even_without_a_value(query: bytes) -> None:
    assert inspected(scope(query=query)) == CARD_DATA


def test_a_header_sent_in_latin_1_is_read_and_its_card_number_found() -> None:
    # given header bytes that are not UTF-8 (a client in Latin-1)
    assert inspected(scope(headers=[(b"x-note", b"caf\xe9")])) is None
    assert inspected(scope(headers=[(b"x-note", b"Zahlung f\xfcr 4242 4242 4242 4242")])
                     ) == CARD_DATA


# --- the body's media type and JSON ---------------------------------------------------

def body_scope(content_type: bytes) -> dict[str, Any]:
    return scope("/v1/anything", headers=[(b"content-type", content_type)])


@pytest.mark.parametrize(("content_type", "answer"), [
    (b"application/json", None), (b"application/json; charset=utf-8", None),
    (b'application/merge-patch+json; charset="UTF8"', None),
    (b"application/json; charset=latin-1", (415, "unsupported-media-type")),
    (b"text/plain", (415, "unsupported-media-type"))])
def test_json_in_utf_8_is_the_one_media_type_accepted(
        content_type: bytes, answer: tuple[int, str] | None) -> None:
    assert inspected(body_scope(content_type), b'{"token": "pm_card_visa"}') == answer


def test_a_string_value_that_is_a_sensitive_word_passes_only_a_key_is_a_name() -> None:
    request = body_scope(b"application/json")
    assert inspected(request, b'{"sort": "number"}') is None
    assert inspected(request, b'{"number": "sort"}') == CARD_DATA


@pytest.mark.parametrize(("body", "document"), [(b'"pm_card_visa"', "pm_card_visa"),
                                                (b"12", 12), (b"null", None)])
def test_a_json_text_without_brackets_is_read(body: bytes, document: Any) -> None:
    # RFC 8259: a JSON text may be any value, not only an object or array
    assert read_json(body) == document


def nested(depth: int) -> bytes:
    return b'{"a": ' * (depth - 1) + b"[1]" + b"}" * (depth - 1)


def test_nesting_32_deep_is_read_and_33_is_422() -> None:
    assert read_json(nested(32)) is not None
    assert refusal(read_json, nested(33)) == (422, "invalid-json")


def test_a_number_of_40_characters_is_read_and_41_is_422() -> None:
    # docs/card-data.md: "a number literal longer than 40 characters"
    forty, forty_one = "0." + "0" * 37 + "5", "0." + "0" * 38 + "5"
    assert read_json(f'{{"amount": {forty}}}'.encode()) == {"amount": 5e-38}
    assert refusal(read_json, f'{{"amount": {forty_one}}}'.encode()) == (422, "invalid-json")


def test_depth_is_counted_again_after_closed_siblings() -> None:
    # given an array and an object, opened and closed, before 32 more levels
    # inside the outer array: 33 deep in all
    assert refusal(read_json, b"[[], {}, " + nested(32) + b"]") == (422, "invalid-json")
    assert read_json(b"[[], {}, " + nested(31) + b"]") is not None


@pytest.mark.parametrize(("body", "answer"), [
    (b'{"a": 1, "a": 2}', (422, "invalid-json")),
    (b'{"a": "x\\u0000y"}', (422, "invalid-json")),
    (b'{"a": "\\ud800"}', (422, "invalid-json")),
    (b'{"a": "caf\xe9"}', (422, "invalid-json")),
    (b'\xef\xbb\xbf{"a": 1}', (415, "unsupported-media-type")),
    ('{"a": 1}'.encode("utf-16-le"), (415, "unsupported-media-type"))])
def test_json_cardledger_cannot_store_or_read_strictly_is_refused(
        body: bytes, answer: tuple[int, str]) -> None:
    assert inspected(body_scope(b"application/json"), body) == answer

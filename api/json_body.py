"""The one reading of a request body: strict JSON, as RFC 8259 says it travels.

The guard parses the body here once and walks what this returns; routes get
that same document (api/routing.py), so nothing is accepted that was not
inspected. Everything the standard library's parser would let through but
cardledger cannot store or inspect safely is refused with 422 (or 415 for a
character encoding other than UTF-8), never a 400 or a 500:

* bytes that are not UTF-8, or UTF-8 behind a byte-order mark (RFC 8259 §8.1);
* nesting deeper than ``MAX_DEPTH`` (the parser would recurse until a
  RecursionError), measured before parsing in time linear in the body;
* a number literal longer than ``MAX_NUMBER_LENGTH`` characters (a 5,000-digit
  integer costs quadratic time to convert, then fails), NaN and Infinity;
* an object with the same key twice (the parser keeps the last one silently);
* a string holding NUL or an unpaired surrogate (no database text column
  takes either).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import Any

from api.problems import Problem

MAX_DEPTH = 32  # cardledger's requests nest 3 deep, Stripe's events about 6
MAX_NUMBER_LENGTH = 40

# Strings first (written as the unrolled loop, linear on any input), so the
# brackets inside them are not counted as nesting.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_BYTE_ORDER_MARKS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def invalid_json(detail: str) -> Problem:
    return Problem(422, "invalid-json", "The body is not JSON cardledger accepts", detail)


def unsupported_encoding(detail: str) -> Problem:
    return Problem(415, "unsupported-media-type", "The body's media type or encoding is "
                   "not accepted", detail)


def read_json(body: bytes, check_number: Callable[[str], None] = lambda literal: None) -> Any:
    """The document the body holds; raises Problem for anything but strict JSON.
    ``check_number`` sees each number as written, before conversion (a float
    keeps only 17 significant digits, so only the literal has them all)."""
    text = _utf8_text(body)
    _check_depth(text)
    try:
        return json.loads(text, object_pairs_hook=_object_without_repeated_keys,
                          parse_int=_bounded(int, check_number),
                          parse_float=_bounded(_finite_float, check_number),
                          parse_constant=_no_constants)
    except json.JSONDecodeError as error:
        # The position only: the parser's message never quotes the input.
        raise invalid_json(f"{error.msg} at line {error.lineno} column {error.colno}") from None
    except RecursionError:  # _check_depth makes this unreachable; kept as the last net
        raise invalid_json(f"JSON may nest at most {MAX_DEPTH} deep") from None


def strings_of(document: Any) -> Iterator[tuple[str, bool]]:
    """Every string in the document, keys included: (text, is_key). Numbers
    are not here: read_json shows each to its ``check_number`` as written.
    Iterative, so no document can exhaust the stack."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                yield key, True
                pending.append(item)
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str):
            yield value, False


def check_storable(text: str) -> None:
    """Refuses strings no database column can take (NUL, unpaired surrogates)."""
    if "\x00" in text:
        raise invalid_json("A string holds a NUL character")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise invalid_json("A string holds an unpaired UTF-16 surrogate") from None


def _utf8_text(body: bytes) -> str:
    if body.startswith(_BYTE_ORDER_MARKS) or body[:4].count(0):
        raise unsupported_encoding(
            "JSON must be UTF-8 without a byte-order mark (RFC 8259 §8.1); this body looks "
            "like UTF-16, UTF-32 or UTF-8 with a BOM")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise invalid_json(f"The body is not valid UTF-8 (byte {error.start})") from None


def _check_depth(text: str) -> None:
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if len(brackets) > MAX_DEPTH and max(accumulate(
            map(_DEPTH_STEP.__getitem__, brackets.encode()))) > MAX_DEPTH:
        raise invalid_json(f"JSON may nest at most {MAX_DEPTH} deep")


def _bounded(convert: Callable[[str], Any],
             check: Callable[[str], None]) -> Callable[[str], Any]:
    def parse(literal: str) -> Any:
        if len(literal) > MAX_NUMBER_LENGTH:
            raise invalid_json(f"A number is longer than {MAX_NUMBER_LENGTH} characters")
        check(literal)
        value = convert(literal)
        check(repr(value))  # 42424242424242420e-1 is written without the number it is
        return value

    return parse


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise invalid_json("A number is out of range")
    return value


def _no_constants(name: str) -> Any:
    raise invalid_json(f"{name} is not JSON (RFC 8259 has no such number)")


def _object_without_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise invalid_json("An object has the same key twice")
    return document

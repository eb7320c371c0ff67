"""How a card number is written in a request: groups and separators, Unicode
digits, and the encodings the guard decodes (docs/card-data.md steps 1, 2, 5)."""

from __future__ import annotations

import base64
import re
import string
import unicodedata
from dataclasses import dataclass
from functools import cache

from tests.guard.cards import card_number
from tests.guard.choices import Chooser, coin


def _block(zero: int) -> str:
    return "".join(chr(zero + value) for value in range(10))


@cache
def digit_forms() -> tuple[str, ...]:
    """Ten-character tables, index = value: ASCII, the forms people paste
    (fullwidth, Arabic-Indic, Devanagari, mathematical, super/subscript,
    circled), then every other block of Unicode decimal digits."""
    named = (_block(0x30), _block(0xFF10), _block(0x660), _block(0x6F0), _block(0x966),
             _block(0x1D7CE), _block(0x1D7D8), _block(0x1D7E2), _block(0x1D7EC), _block(0x1D7F6),
             "⁰¹²³⁴⁵⁶⁷⁸⁹", "₀₁₂₃₄₅₆₇₈₉", "⓪①②③④⑤⑥⑦⑧⑨")
    others = tuple(_block(code) for code in range(0x80, 0x20000)
                   if unicodedata.category(chr(code)) == "Nd"
                   and unicodedata.decimal(chr(code)) == 0 and _block(code) not in named)
    return named + others


# The separators people and tools write (docs/card-data.md step 2): ASCII
# punctuation and space, Unicode spaces, dashes, dots, slashes and invisible
# format characters. Each is one character that stays one non-alphanumeric
# character (or none) under NFKC.
LISTED_SEPARATORS = (
    " .-_/" + "".join(ch for ch in string.punctuation if ch not in ".-_/")
    + "\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"
    + "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u2e3a\u2e3b"
    + "\u00b7\u2022\u2024\u2027\u30fb\uff0e\uff65\u2044\u2215\uff0f\u29f8\uff3f"
    + "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e")
# Characters allowed in a header name (RFC 9110 tchar) that are not letters or digits.
HEADER_NAME_SEPARATORS = "-._~"


@cache
def any_separators() -> str:
    """Every character that is neither letter nor digit (punctuation, symbols,
    spaces, marks, format characters) in the first two planes, the listed
    ones first (hypothesis shrinks towards the start)."""
    rest = "".join(chr(code) for code in range(0x20000)
                   if (unicodedata.category(chr(code))[0] in "PSZM"
                       or unicodedata.category(chr(code)) == "Cf")
                   and not _holds_a_digit(chr(code)))
    return LISTED_SEPARATORS + "".join(ch for ch in rest if ch not in LISTED_SEPARATORS)


def _holds_a_digit(char: str) -> bool:
    """Symbols such as ㋀ (NFKC: "1月") write a digit themselves."""
    return any(ch.isnumeric() for ch in unicodedata.normalize("NFKC", char))


BRAND_GROUPS = {13: (4, 4, 5), 14: (4, 6, 4), 15: (4, 6, 5), 16: (4, 4, 4, 4),
                17: (4, 4, 4, 5), 18: (4, 4, 4, 6), 19: (4, 4, 4, 4, 3)}


def groups_of(c: Chooser, number: str) -> list[str]:
    """The number cut into groups: whole, as printed on the card, at random
    places, or one digit each."""
    style = c.choice(("whole", "printed", "random", "every digit"))
    if style == "whole":
        return [number]
    if style == "every digit":
        return list(number)
    if style == "printed":
        sizes = BRAND_GROUPS[len(number)]
    else:
        cuts = sorted({c.integer(1, len(number) - 1) for _ in range(c.integer(1, 5))})
        sizes = tuple(b - a for a, b in zip([0, *cuts], [*cuts, len(number)], strict=True))
    groups, start = [], 0
    for size in sizes:
        groups.append(number[start:start + size])
        start += size
    return groups


def separator(c: Chooser, alphabet: str) -> str:
    return c.text(alphabet, 1, 3)


def joined(c: Chooser, groups: list[str], alphabet: str) -> str:
    """Groups joined by one separator throughout, or each gap its own."""
    if len(groups) == 1:
        return groups[0]
    if coin(c):
        return separator(c, alphabet).join(groups)
    text = groups[0]
    for group in groups[1:]:
        text += separator(c, alphabet) + group
    return text


def in_digit_forms(c: Chooser, text: str) -> str:
    """ASCII digits rewritten in one Unicode form, or each in its own."""
    style = c.choice(("ascii", "one form", "mixed"))
    if style == "ascii":
        return text
    forms = digit_forms()
    if style == "one form":
        table = c.choice(forms)
        return "".join(table[int(ch)] if ch in string.digits else ch for ch in text)
    return "".join(c.choice(forms)[int(ch)] if ch in string.digits else ch for ch in text)


_DATE = re.compile(r"(?:19|20|21)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])")


def writes_a_date(text: str) -> bool:
    """Whether the written number holds an ISO date (``4000 2025-01-31 …``):
    the rule masks dates by design (docs/card-data.md step 4), so such a
    disguise is a known cost of the rule, not something to test for."""
    normal = unicodedata.normalize("NFKC", text)
    ascii_digits = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch
                           for ch in normal)
    return bool(_DATE.search(ascii_digits))


def written(c: Chooser, number: str, alphabet: str = LISTED_SEPARATORS) -> str:
    """The number in groups, separators and digit forms (no encoding yet)."""
    groups = groups_of(c, number)
    text = in_digit_forms(c, joined(c, groups, alphabet))
    return " ".join(groups) if writes_a_date(text) else text


def percent_encoded(c: Chooser, text: str, rounds: int) -> str:
    """``rounds`` layers of percent-encoding. The first encodes every digit and
    non-ASCII character, or everything; each later one encodes the ``%``
    signs (``%34`` becomes ``%2534``), as double-encoding does. (Encoding
    everything again would triple the length a layer and decode the same.)"""
    if rounds == 0:
        return text
    pattern = c.choice(("%{:02X}", "%{:02x}"))
    everything = coin(c)
    text = "".join("".join(pattern.format(byte) for byte in ch.encode())
                   if everything or not ch.isascii() or ch.isdigit() else ch for ch in text)
    return text.replace("%", "%" + "25" * (rounds - 1))


def wide_percent_encoded(c: Chooser, text: str) -> str:
    """``%u0034``, the form old clients send; only for the first plane."""
    pattern = c.choice(("%u{:04X}", "%u{:04x}"))
    return "".join(pattern.format(ord(ch)) if ch.isdigit() and ord(ch) < 0x10000 else ch
                   for ch in text)


_NAMED_SEPARATORS = {" ": ("&#32;", "&nbsp;", "&#x20;"), "-": ("&#45;", "&dash;", "&hyphen;"),
                     ".": ("&#46;", "&period;"), "/": ("&#47;", "&sol;")}
_REFERENCES = ("&#{:d};", "&#x{:x};", "&#X{:X};", "&#0{:d};")


def html_encoded(c: Chooser, text: str) -> str:
    """Digits as character references (``&#52;``, ``&#x34;``), some separators too."""
    style = c.choice((*_REFERENCES, "mixed"))
    out = []
    for ch in text:
        if ch.isdigit():
            out.append((c.choice(_REFERENCES) if style == "mixed" else style).format(ord(ch)))
        elif ch in _NAMED_SEPARATORS and coin(c):
            out.append(c.choice(_NAMED_SEPARATORS[ch]))
        else:
            out.append(ch)
    return "".join(out)


def _surrogate_pair(code: int) -> str:
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _escape(ch: str, style: str, wide: str) -> str:
    code = ord(ch)
    if code > 0xFFFF:
        return {"braces": f"\\u{{{code:x}}}", "U": f"\\U{code:08x}",
                "pair": _surrogate_pair(code)}[wide]
    if style == "x" and code <= 0xFF:
        return f"\\x{code:02x}"
    return {"braces": f"\\u{{{code:x}}}", "U": f"\\U{code:08X}"}.get(style, f"\\u{code:04X}")


def backslash_escaped(c: Chooser, text: str) -> str:
    """Digits as ``\\u0034``, ``\\x34``, ``\\u{34}`` or ``\\U00000034``; a digit
    beyond the first plane as ``\\u{1d7d2}``, ``\\U0001d7d2`` or the
    surrogate pair JSON and JavaScript write (``\\ud835\\udfd2``)."""
    style = c.choice(("u", "x", "braces", "U"))
    wide = c.choice(("braces", "U", "pair"))
    return "".join(_escape(ch, style, wide) if ch.isdigit() else ch for ch in text)


def base64_encoded(c: Chooser, text: str) -> str:
    """The text's UTF-8 as base64 or base64url, padded or not."""
    raw = text.encode()
    token = (base64.urlsafe_b64encode(raw) if coin(c) else base64.b64encode(raw)).decode()
    return token if coin(c) else token.rstrip("=")


ENCODINGS = ("none", "percent", "html", "backslash", "wide percent", "base64")


@dataclass(frozen=True)
class Disguise:
    number: str  # the card number, ASCII digits
    text: str  # as it is written in the request
    how: str  # a label: the encoding and how many percent layers


def disguised(c: Chooser, number: str | None = None, *,
              separators: str = LISTED_SEPARATORS) -> Disguise:
    """A card number written, then encoded once (HTML, backslash, %u or
    base64) and/or percent-encoded up to three times. The guard decodes four
    rounds (docs/card-data.md step 5), and a path or query adds one percent
    layer of its own, so three is the most an attack may add."""
    number = number or card_number(c)
    text = written(c, number, separators)
    digits = "ascii" if text.isascii() else "unicode"
    encoding = c.choice(ENCODINGS)
    if encoding == "html":
        text = html_encoded(c, text)
    elif encoding == "backslash":
        text = backslash_escaped(c, text)
    elif encoding == "wide percent":
        text = wide_percent_encoded(c, text)
    elif encoding == "base64":
        text = base64_encoded(c, text)
    if encoding == "backslash" and _SURROGATE_ESCAPE.search(text):
        encoding = "backslash pairs"
    rounds = (c.integer(1, 3) if encoding == "percent" else 0 if encoding == "none"
              else c.choice((0, 0, 0, 1, 2)))
    text = percent_encoded(c, text, rounds)
    how = f"{digits} {encoding}"
    if encoding == "percent":
        how += str(rounds)
    elif rounds:
        how += f" +percent{rounds}"
    return Disguise(number, text, how)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abAB]")

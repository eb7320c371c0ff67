"""What counts as card data, in any text cardledger is handed or writes.

One rule, used by the API's guard, the log filter and the tests:

* **A card number** is 13 to 19 digits, consecutive in the text's digit
  sequence, that pass the Luhn check. Digits may be any Unicode decimal digits
  (and their compatibility forms: fullwidth, superscript, circled), and
  consecutive digits may be separated by a run of at most three characters that
  are neither letters nor digits (spaces, dots, dashes, underscores, slashes,
  any punctuation or symbol; invisible format characters are dropped first).
  A letter ends the run. The separators divide a run into groups; every span
  of whole groups holding 13-19 digits is checked, so a number written inside
  a longer grouped sequence (``ref 12 4242 4242 4242 4242``) is still found,
  while one unbroken string of digits is checked only as a whole.
* The text is also read **decoded**: percent-encoding (repeatedly), HTML
  character references, backslash escapes (``\\u0034``, ``\\x34``) and base64 /
  base64url tokens (at each of the four alignments, so base64 inside a longer
  token such as a path is found too), so an encoded number is found as well
  as a plain one.
* **Not card numbers**: calendar date-times and dates (ISO 8601 / RFC 3339,
  years 1900-2199, every field in range), whose digits are masked before the
  scan; so ``2026-11-25T17:33:56.123456+00:00`` passes. Identifiers in two
  standard shapes are masked the same way, as whole tokens: UUIDs in the
  canonical form (RFC 9562: ``8-4-4-4-12`` hex digits with a valid version
  and variant and at least one hex letter) and W3C trace context
  ``traceparent`` values. Random ones hold a Luhn-valid 13-19 digit span
  about 1 time in 400 (digits between hex letters), and clients send them
  as idempotency keys and tracing headers on every request. A run of digits
  with no Luhn-valid window passes too (amounts, versions, phone numbers,
  most ids).
* **A field named like card data** (``number``, ``card_number``, ``cardNumber``,
  ``card[cvc]``, ``pan``, ``cvv2``, ``security_code``, ``X-Card-CVC`` ...)
  holds card data whatever its value, because a CVC is three digits that no
  scan can tell from any other three digits.

The scan is linear in the text: regular expressions without nested
repetition find the runs, and Luhn sums over all windows come from prefix
sums computed in C (``itertools.accumulate``), never a Python loop per window.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import sys
import unicodedata
from collections.abc import Iterator
from functools import cache
from itertools import accumulate, cycle, islice, repeat
from operator import add, mod, sub
from urllib.parse import unquote

MIN_DIGITS = 13
MAX_DIGITS = 19
MAX_SEPARATOR_RUN = 3
REDACTED = "[redacted]"
# How many rounds of decoding (e.g. a number percent-encoded three times over).
MAX_DECODING_ROUNDS = 4
# Forms of one text read at most (bounds the cost of text full of escapes).
MAX_FORMS = 32

# A run: digits, where up to three non-alphanumeric characters may stand
# between two digits. Digits and separators are disjoint classes, so the
# pattern never backtracks more than three characters.
_RUN = re.compile(r"\d(?:[\W_]{0,%d}\d)*" % MAX_SEPARATOR_RUN)
_SEPARATORS = re.compile(r"[\W_]+")
_DATE = r"(?:19|20|21)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d(?::(?:[0-5]\d|60)(?:[.,]\d{1,9})?)?"
_ZONE = r"(?:[Zz]|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?"
# The date and the time are joined by T, a space, or a '+' (a space in a form-encoded query).
_INSTANT = re.compile(rf"(?<!\d){_DATE}(?:[Tt +]{_TIME}{_ZONE})?(?!\d)")
# Whole-token identifiers (docs/card-data.md): a UUID in its canonical dashed form
# with its version (1-8) and variant (8, 9, a, b) nibbles where RFC 9562 puts them,
# and a W3C traceparent (version-traceid-parentid-flags). Not 32 hex digits
# without dashes: a card number followed by hex letters has that very shape.
_H = "[0-9A-Fa-f]"
_IDENTIFIER = re.compile(
    rf"(?<![0-9A-Za-z])(?:{_H}{{8}}-{_H}{{4}}-[1-8]{_H}{{3}}-[89ABab]{_H}{{3}}-{_H}{{12}}"
    r"|[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2})(?![0-9A-Za-z])")
_HEX_LETTERS = re.compile("[A-Fa-f]")
# A UUID made of digits alone reads as a card number dressed as one; a random
# one has about 12 hex letters and none 1 time in a million.
MIN_HEX_LETTERS = 1
_BASE64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_BACKSLASH_ESCAPE = re.compile(
    r"\\(?:u([0-9A-Fa-f]{4})|u\{([0-9A-Fa-f]{1,6})\}|U([0-9A-Fa-f]{8})|x([0-9A-Fa-f]{2}))")
_WIDE_PERCENT = re.compile(r"%u([0-9A-Fa-f]{4})")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Luhn's doubled digit: 2d, minus 9 when that is two digits.
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
_ASCII_DIGITS = dict(zip(b"0123456789", range(10), strict=True))

_SENSITIVE_WORDS = frozenset({
    "pan", "cvc", "cvc2", "cvv", "cvv2", "cvn", "cvn2", "csc", "cid2", "cav2",
    "cardnumber", "cardnum", "cardno", "ccnumber", "ccnum", "ccn", "creditcard", "debitcard",
    "securitycode", "track1", "track2", "magstripe",
})
_SENSITIVE_PAIRS = frozenset({
    ("card", "number"), ("card", "num"), ("card", "no"), ("card", "nr"),
    ("security", "code"), ("card", "verification"), ("card", "code"), ("cc", "number"),
    ("credit", "card"), ("debit", "card"),
})
_SENSITIVE_WHOLE_NAMES = frozenset({"number"})
# A last word ending so names card data however it is glued on ("xcardcvc",
# "newtrack2", "paymentpan": header names arrive in lower case), except the
# words that end so innocently (timespan, japan).
_SENSITIVE_SUFFIXES = tuple(sorted(_SENSITIVE_WORDS
                                   | {first + second for first, second in _SENSITIVE_PAIRS}))
_INNOCENT_SUFFIXES = ("span", "japan")
_NAME_WORD = re.compile(r"[A-Z]+\d*(?![a-z])|[A-Z]?[a-z]+\d*|\d+")


# --- the rule -----------------------------------------------------------------------

def luhn_valid(digits: str) -> bool:
    """The Luhn check of one string of ASCII digits."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        total += _DOUBLED[value] if index % 2 else value
    return total % 10 == 0


def looks_like_card_number(text: str) -> bool:
    """True when the text, plain or decoded, holds a card number (the rule above)."""
    if len(text) < MIN_DIGITS:  # no form of 13 digits is shorter
        return False
    if not _may_hold_digits(text):
        return False  # no reading of it has 13 digits: most headers and paths
    try:
        return any(_plain_text_holds_card_number(form) for form in readings(text))
    except TooDeeplyEncoded:
        # What cannot be read to the end is not accepted: it could hide anything.
        return True


class TooDeeplyEncoded(Exception):
    """Decoding still changes the text after all the forms the scan reads."""


def is_sensitive_name(name: str) -> bool:
    """True for a field or header name that says it holds a card number or CVC:
    the whole name (``number``, ``cvv2``), or its last word or two (``card[cvc]``,
    ``X-Card-Number``, ``securityCode``), or a last word ending in one
    (``x-cardcvc``). A name that only mentions one of them (Stripe's
    ``cvc_check``, ``invoice_number``) is not."""
    words = _name_words(name)
    if not words:
        return False
    whole = "".join(words)
    return (whole in _SENSITIVE_WHOLE_NAMES or whole in _SENSITIVE_WORDS
            or words[-1] in _SENSITIVE_WORDS
            or (words[-1].endswith(_SENSITIVE_SUFFIXES)
                and not words[-1].endswith(_INNOCENT_SUFFIXES))
            or tuple(words[-2:]) in _SENSITIVE_PAIRS)


def redact(text: str) -> str:
    """The text with each card number replaced by ``[redacted]``; when an encoded
    form holds one that cannot be cut out in place, the whole text is withheld."""
    if not looks_like_card_number(text):
        return text
    normal = _normalise(text)
    masked = _mask_instants(normal)
    pieces, last = [], 0
    for match in _RUN.finditer(masked):
        if _run_holds_card_number(match.group()):
            pieces += [normal[last:match.start()], REDACTED]
            last = match.end()
    cut = "".join(pieces) + normal[last:]
    return REDACTED if looks_like_card_number(cut) else cut


def warm_up() -> None:
    """Builds the Unicode tables now (about 50 ms), not in the first request
    that holds a non-ASCII digit."""
    _format_characters()
    _decimal_digits()
    _digitish()


# --- reading the text in every encoding it may carry --------------------------------

def readings(text: str) -> Iterator[str]:
    """Every form of the text the scan reads, each once, at most MAX_FORMS;
    raises TooDeeplyEncoded when decoding has not reached its end by then
    (decoys that change at every step could otherwise use the forms up):

    1. as written (a text from a URL is decoded once first, by the caller, as
       the server reads it: there a ``%`` is always an escape);
    2. its compatibility normal form (NFKC) when that differs: fullwidth and
       circled digits become digits. Both are read, because NFKC also turns
       some separators into longer runs or letters (``…`` into ``...``,
       ``™`` into ``TM``);
    3. each step of decoding that changes it, a few rounds deep; every step is
       read, since a ``%`` used as a separator next to an escape can make a
       new escape one step later;
    4. what each base64 token of those decodes to (as UTF-8, else Latin-1).
    """
    surface = _strip_format(text)
    seen = [surface]
    normal = _normalise(surface)
    if normal != surface:
        seen.append(normal)
    yield from seen
    # Decoding starts from both: NFKC can complete an escape early ('%𝟤𝟦' is
    # '%24') that, as written, a step of its own would have decoded first.
    for start in list(seen):
        yield from _decoded_forms(start, seen)
    for form in seen:
        for token in _BASE64_TOKEN.findall(form):
            # Base64 embedded in a longer token (a path: "customers/NDI0..."; a
            # prefix: "idNDI0...") decodes right only from its own start, which
            # is one of four alignments: try each.
            for start in range(4):
                for decoded_token in _from_base64(token[start:]):
                    # Most tokens (words, ids) decode to bytes with no digits in them.
                    if len(decoded_token) >= MIN_DIGITS and _decoded_may_hold_digits(decoded_token):
                        yield _normalise(decoded_token)
                        yield _normalise(_decode_once(decoded_token))


def _decoded_forms(current: str, seen: list[str]) -> Iterator[str]:
    """Each decoding step's change of ``current``, added to ``seen``, until
    decoding comes to its end; TooDeeplyEncoded past MAX_FORMS."""
    for _ in range(MAX_DECODING_ROUNDS):
        before = current
        for group in _DECODING_GROUPS:
            # The two percent forms run, in turn, to their end before the next
            # step, or an HTML reference written with escapes inside would be
            # read half-built; each change is read.
            unchanged = 0
            for step in islice(cycle(group), MAX_DECODING_ROUNDS * len(group)):
                decoded = _normalise(step(current))
                if decoded == current:
                    unchanged += 1
                    if unchanged == len(group):
                        break
                    continue
                if len(seen) >= MAX_FORMS:
                    raise TooDeeplyEncoded
                unchanged = 0
                current = decoded
                if decoded not in seen:
                    seen.append(decoded)
                    yield decoded
        if current == before:
            return
    if _normalise(_decode_once(current)) != current:
        raise TooDeeplyEncoded


def _decode_once(text: str) -> str:
    """Every decoding step once, in order (for text already decoded from base64)."""
    for step in _DECODING_STEPS:
        text = step(text)
    return text


def _wide_percent_decoded(text: str) -> str:
    # %uXXXX, the non-standard form some old clients still send.
    return _WIDE_PERCENT.sub(_from_escape, text) if "%u" in text else text


def _percent_decoded(text: str) -> str:
    # UTF-8 as URLs carry it; a bad byte becomes U+FFFD, a separator.
    return unquote(text) if "%" in text else text


def _html_decoded(text: str) -> str:
    return html.unescape(text) if "&" in text else text


def _backslash_decoded(text: str) -> str:
    return _BACKSLASH_ESCAPE.sub(_from_escape, text) if "\\" in text else text


def _surrogates_joined(text: str) -> str:
    # \ud835\udfd2 written as two escapes is one character (U+1D7D2, a 4).
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


_DECODING_GROUPS = ((_percent_decoded, _wide_percent_decoded), (_html_decoded,),
                    (_backslash_decoded,), (_surrogates_joined,))
_DECODING_STEPS = tuple(step for group in _DECODING_GROUPS for step in group)


def _from_escape(match: re.Match[str]) -> str:
    code = int(next(group for group in match.groups() if group), 16)
    return chr(code) if code <= sys.maxunicode else match.group()


def _from_base64(token: str) -> list[str]:
    """What the token decodes to, as text: UTF-8 when the bytes are, and Latin-1
    (which decodes any byte) as well; nothing when it is not base64."""
    alphabet_safe = token.replace("-", "+").replace("_", "/").rstrip("=")
    if len(alphabet_safe) % 4 == 1:  # one character past the last whole byte: not part of it
        alphabet_safe = alphabet_safe[:-1]
    try:
        raw = base64.b64decode(alphabet_safe + "=" * (-len(alphabet_safe) % 4), validate=True)
    except (binascii.Error, ValueError):
        return []
    as_latin1 = raw.decode("latin-1")
    as_utf8 = raw.decode("utf-8", "replace")
    return [as_latin1] if as_utf8 == as_latin1 else [as_utf8, as_latin1]


def _normalise(text: str) -> str:
    """Compatibility forms become plain ones (fullwidth and circled digits too),
    and invisible format characters (zero-width spaces, soft hyphens) go."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text).translate(_format_characters())


def _strip_format(text: str) -> str:
    return text if text.isascii() else text.translate(_format_characters())


@cache
def _format_characters() -> dict[int, None]:
    planes = (range(0x10000), range(0xE0000, 0xE0080))
    return {code: None for plane in planes for code in plane
            if unicodedata.category(chr(code)) == "Cf"}


# --- shortcuts: text in which no reading can have 13 digits -------------------------

# What decoding may turn into a digit: a percent, HTML or backslash escape, and
# surrogates (a pair of them joined can be a digit: U+1D7D2 is a 4).
_ESCAPE_MARK = re.compile(r"[%&\\\ud800-\udfff]")
_DECIMAL = re.compile(r"\d")
_ASCII_DIGIT_CHARS = "0123456789"


def _may_hold_digits(text: str) -> bool:
    """False only when no reading of the text can hold MIN_DIGITS digits: it
    has no escape and no base64 token, as written or in NFKC (where '＆' is an
    '&', '＆half;' a '½', and fullwidth letters or a token split by zero-width
    spaces become a token), and its characters, in their compatibility forms,
    hold fewer digits than that. A shortcut past the readings for ordinary
    text, never a verdict that a text is clean."""
    forms = (text,) if text.isascii() else (text, _normalise(text))
    if any(_ESCAPE_MARK.search(form) or _BASE64_TOKEN.search(form) for form in forms):
        return True
    return _compatible_digits(text) >= MIN_DIGITS


# What one pass of _decode_once can decode: it is all that reads base64's output.
_ESCAPE_SYNTAX = re.compile(r"%(?:[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4})|&[#A-Za-z]|\\[uUx]")


def _decoded_may_hold_digits(text: str) -> bool:
    """_may_hold_digits for what a base64 token decodes to, whose readings are
    its NFKC form and one pass of _decode_once: a '%', '&' or backslash that
    starts no escape (a third of the decodings of ordinary words hold one)
    leaves that pass unchanged, so only the characters' digits count."""
    return bool(_ESCAPE_SYNTAX.search(text)) or _compatible_digits(text) >= MIN_DIGITS


def _compatible_digits(text: str) -> int:
    """How many digits the text's characters hold in their NFKC forms."""
    if text.isascii():
        return _ascii_digits(text)
    weights = _digit_weights()
    return sum(weights[ord(char)] for char in _digitish().findall(text))


def _decimal_count(text: str) -> int:
    """How many decimal digits (what ``\\d`` matches) the text holds."""
    if text.isascii():
        return _ascii_digits(text)
    return len(_DECIMAL.findall(text))


def _ascii_digits(text: str) -> int:
    return sum(map(text.count, _ASCII_DIGIT_CHARS))


# Compatibility characters are in the first three planes; tests/guard checks
# that no character past them has a digit in its NFKC form.
DIGITISH_PLANES_END = 0x30000


@cache
def _digit_weights() -> dict[int, int]:
    """Each character that is a decimal digit or whose NFKC form holds some
    (fullwidth, circled, parenthesised: '⑽' is '(10)'), with how many."""
    weights = {}
    for code in range(DIGITISH_PLANES_END):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        count = sum(c.isdecimal() for c in unicodedata.normalize("NFKC", char))
        if count:
            weights[code] = count
    return weights


@cache
def _digitish() -> re.Pattern[str]:
    """One character class of them, as ranges (81 instead of 882 characters:
    six times faster to match)."""
    ranges: list[list[int]] = []
    for code in sorted(_digit_weights()):
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return re.compile("[" + "".join(re.escape(chr(first)) + (
        "-" + re.escape(chr(last)) if last > first else "") for first, last in ranges) + "]")


# --- scanning one plain text --------------------------------------------------------

def _mask_instants(text: str) -> str:
    """Date-times, dates and standard identifiers become letters of the same
    length, so their digits are not read and positions in the text stay where
    they were."""
    if "-" in text:
        text = _INSTANT.sub(lambda match: "d" * len(match.group()), text)
    if len(text) >= 32:
        text = _IDENTIFIER.sub(_masked_identifier, text)
    return text


def _masked_identifier(match: re.Match[str]) -> str:
    token = match.group()
    if len(_HEX_LETTERS.findall(token)) < MIN_HEX_LETTERS:
        return token
    return "x" * len(token)


def _plain_text_holds_card_number(text: str) -> bool:
    if _decimal_count(text) < MIN_DIGITS:
        return False  # the runs below are made of these
    masked = _mask_instants(text)
    return any(_run_holds_card_number(match.group()) for match in _RUN.finditer(masked)
               if len(match.group()) >= MIN_DIGITS)


def _run_holds_card_number(run: str) -> bool:
    """Whether some span of whole digit groups in the run (groups are what the
    separators divide) holds 13-19 digits passing Luhn. A group of more than 19
    digits belongs to no span, so it splits the run in two."""
    if not run.isascii():
        run = run.translate(_decimal_digits())
    groups = _SEPARATORS.split(run)
    span: list[str] = []
    for group in [*groups, "0" * (MAX_DIGITS + 1)]:  # a sentinel closes the last span
        if len(group) <= MAX_DIGITS:
            span.append(group)
        elif span:
            if _some_span_is_luhn_valid(span):
                return True
            span = []
    return False


def _some_span_is_luhn_valid(groups: list[str]) -> bool:
    """Whether any span of whole groups with 13-19 digits passes Luhn, in time
    linear in the digits.

    For a span ending at digit index j-1, digits of the same parity as j-1
    count as they are and the others doubled, so two prefix sums (one per
    parity of the end) give every span's total as one subtraction. A span must
    start and end at group boundaries: off-boundary prefixes get a quarter
    added as ends and half taken as starts, so any span touching one has a
    fractional total and fails the test. The loops over spans run in C."""
    digits = [_ASCII_DIGITS[code] for code in "".join(groups).encode()]
    count = len(digits)
    if count < MIN_DIGITS:
        return False
    off_boundary = [1] * (count + 1)
    for boundary in accumulate(map(len, groups), initial=0):
        off_boundary[boundary] = 0
    as_end = [0.25 * flag for flag in off_boundary]
    as_start = [-0.5 * flag for flag in off_boundary]
    doubled = [_DOUBLED[d] for d in digits]
    ends_even = digits[:]  # span ends at an even index: odd indexes doubled
    ends_even[1::2] = doubled[1::2]
    ends_odd = doubled[:]  # ends at an odd index: even indexes doubled
    ends_odd[1::2] = digits[1::2]
    prefixes = {}
    for parity, weights in ((0, ends_even), (1, ends_odd)):
        sums = list(accumulate(weights, initial=0))
        prefixes[parity] = (list(map(add, sums, as_end)), list(map(add, sums, as_start)))
    for length in range(MIN_DIGITS, min(MAX_DIGITS, count) + 1):
        for end in (length, length + 1):  # the span [end - length, end), then every 2nd
            if end > count:
                continue
            ends, starts = prefixes[(end - 1) % 2]
            totals = map(sub, ends[end::2], starts[end - length::2])
            if 0 in map(mod, totals, repeat(10)):
                return True
    return False


@cache
def _decimal_digits() -> dict[int, int]:
    """Every Unicode decimal digit (Nd) mapped to its ASCII digit."""
    table = {}
    for code in range(0x80, 0x20000):  # every decimal digit is in the first two planes
        value = unicodedata.decimal(chr(code), None)
        if value is not None:
            table[code] = ord("0") + value
    return table


def _name_words(name: str) -> list[str]:
    return [word.lower() for word in _NAME_WORD.findall(_normalise(name))]

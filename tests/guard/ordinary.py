"""What the guard must let through: timestamps, amounts, versions,
cardledger ids, UUIDs, trace context headers, Luhn-invalid numbers, phone
numbers, text without digits."""

from __future__ import annotations

import string
import uuid
import unicodedata
from functools import cache

from domain.ids import derived_id
from tests.guard.cards import luhn_invalid_number
from tests.guard.choices import Chooser, coin

WORDS = ("card", "invoice", "note", "amount", "paid", "ref", "order", "customer", "service",
         "visit", "plumbing", "due", "total", "memo", "comment", "label", "status", "tag",
         "reason", "schedule", "kitchen", "Straße", "café", "naïve", "東京", "сервис", "ok")
KEYS = ("note", "notes", "meta", "metadata", "description", "invoice_id", "amount", "tags",
        "created_at", "updated_at", "version", "reference", "items", "details", "label",
        "make_primary", "source", "extra", "comment", "client", "attributes", "data", "x")
# Before or after a number in a text; none of them belongs to the base64 alphabet.
DELIMITERS = (" ", ": ", " = ", "=", " (", ") ", ", ", "; ", "\"", "'", " #", "\t", " > ")
HEADER_WORDS = tuple(word for word in WORDS if word.isascii())


_TEXT_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf",
                              "Po", "Zs", "Sc", "Sm"})


@cache
def digit_free_alphabet() -> str:
    """Letters, punctuation, spaces and currency and math symbols, none of
    which is a decimal digit or becomes one under NFKC; ASCII first."""
    chars = [chr(code) for code in range(0x20, 0x20000)
             if unicodedata.category(chr(code)) in _TEXT_CATEGORIES
             and not any(ch.isdecimal() for ch in unicodedata.normalize("NFKC", chr(code)))]
    return "".join(sorted(chars, key=lambda ch: (not ch.isascii(), ord(ch))))


def digit_free_text(c: Chooser, max_size: int = 24) -> str:
    return c.text(digit_free_alphabet(), 0, max_size)


def timestamp(c: Chooser, between: str = "Tt ", fraction: int = 9) -> str:
    """An ISO 8601 / RFC 3339 date or date-time, year 1900-2199, every field
    valid, with one of ``between`` between date and time and at most
    ``fraction`` digits of a second."""
    year, month = c.integer(1900, 2199), c.integer(1, 12)
    days = 29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31
    date = f"{year:04d}-{month:02d}-{c.integer(1, days):02d}"
    if c.choice(("date", "date-time", "date-time")) == "date":
        return date
    time = f"{c.integer(0, 23):02d}:{c.integer(0, 59):02d}"
    if coin(c):
        time += f":{c.integer(0, 59):02d}"
        digits = c.choice(tuple(d for d in (0, 0, 3, 6, 9, 1, 2) if d <= fraction))
        if digits:
            time += c.choice((".", ",")) + str(c.integer(0, 10**digits - 1)).zfill(digits)
    zone = c.choice(("", "Z", "z", "+00:00", "-05:00", "+05:30", "+0530", "-0800", "+14:00"))
    return date + c.choice(between) + time + zone


def amount(c: Chooser) -> str:
    cents = c.integer(0, 10**10)
    return c.choice((str(cents), f"{cents / 100:.2f}", f"{cents / 100:,.2f}",
                     f"$ {cents / 100:,.2f}", f"{cents // 100} EUR", f"-{cents / 100:.2f}"))


def version(c: Chooser) -> str:
    """``1.2.3``, ``10.0.19045.3693``: at most 12 digits in all."""
    parts, budget = [], 12
    for _ in range(c.integer(2, 4)):
        size = min(c.integer(1, 5), budget)
        if size == 0:
            break
        parts.append(str(c.integer(0, 10**size - 1)))
        budget -= len(parts[-1])
    return ".".join(parts)


def cardledger_id(c: Chooser) -> str:
    """An id as cardledger makes them (domain/ids.py): a prefix and letters."""
    prefix = c.choice(("card_", "pay_", "req_", "evt_", "cu", "co"))
    return derived_id(prefix, c.text(string.ascii_letters, 0, 8), length=c.choice((24, 26)))


def phone(c: Chooser) -> str:
    return c.choice(("+1 555 %04d", "+44 20 7946 %04d", "(555) 010-%04d")) % c.integer(0, 9999)


def rfc9562_uuid(bits: int, version: int) -> uuid.UUID:
    """The UUID of these random bits with RFC 9562's variant and this version
    (Python 3.11's uuid.UUID knows versions 1-5 only)."""
    bits = (bits & ~(0xC000 << 48)) | (0x8000 << 48)
    bits = (bits & ~(0xF000 << 64)) | (version << 76)
    return uuid.UUID(int=bits)


def uuid_text(c: Chooser) -> str:
    """A UUID as clients write idempotency keys and ids: any version RFC 9562
    defines, canonical (dashed), either case, bare, braced or as a URN. (Not
    32 hex digits without dashes: docs/card-data.md.)"""
    value = rfc9562_uuid(c.integer(0, 2**128 - 1), c.choice((1, 3, 4, 5, 6, 7, 8)))
    text = str(value).upper() if coin(c) else str(value)
    return c.choice(("{}", "{{{}}}", "urn:uuid:{}")).format(text)


def traceparent(c: Chooser) -> str:
    """A W3C trace context header value: version-traceid-parentid-flags."""
    return (f"00-{c.integer(1, 2**128 - 1):032x}-{c.integer(1, 2**64 - 1):016x}"
            f"-{c.choice((0, 1)):02x}")


ORDINARY_KINDS = ("timestamp", "amount", "version", "id", "luhn-invalid", "text", "phone",
                  "uuid", "traceparent")


def ordinary_text(c: Chooser, kind: str | None = None) -> str:
    kind = kind or c.choice(ORDINARY_KINDS)
    return {"timestamp": timestamp, "amount": amount, "version": version,
            "id": cardledger_id, "luhn-invalid": luhn_invalid_number, "text": digit_free_text,
            "phone": phone, "uuid": uuid_text, "traceparent": traceparent}[kind](c)


def ordinary_sentence(c: Chooser) -> str:
    """Ordinary values between words, so each value's digits stand alone."""
    parts = [c.choice(WORDS)]
    for _ in range(c.integer(0, 3)):
        parts += [ordinary_text(c), c.choice(WORDS)]
    return " ".join(parts)


def ordinary_number(c: Chooser) -> int | float:
    """A JSON number cardledger could be sent: counts, cents, amounts, and a
    Luhn-invalid number written as an integer."""
    kind = c.choice(("count", "cents", "amount", "luhn-invalid"))
    if kind == "count":
        return c.integer(-1000, 1000)
    if kind == "cents":
        return c.integer(0, 10**11)
    if kind == "amount":
        return c.integer(0, 10**9) / 100
    return int(luhn_invalid_number(c))

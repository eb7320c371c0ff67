"""Whole requests for the guard: attacks (a card number in one disguise and
one place, or a field named like card data) and ordinary requests.

Attacks carry a Luhn-valid number of a real brand, written in a disguise
(disguises.py) and put in one place: a JSON string, number or key, a body
in another encoding, a path segment, the query, a header's value or name.
What counts is docs/card-data.md; where a disguise is left out on purpose,
the comment beside it says why.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any

from domain.ids import EXTERNAL_ID
from domain.provenance import ACTOR
from tests.guard.cards import card_number
from tests.guard.choices import Chooser, coin
from tests.guard.disguises import (
    HEADER_NAME_SEPARATORS,
    LISTED_SEPARATORS,
    Disguise,
    any_separators,
    disguised,
    groups_of,
    joined,
    percent_encoded,
    writes_a_date,
)
from tests.guard.documents import Key, Literal, json_style, ordinary_object, to_json, with_hole
from tests.guard.drafts import (
    ADD_CARD,
    DEFAULT_TARGET,
    PAY,
    REGISTER,
    Request,
    Target,
    draft,
    with_body,
)
from tests.guard.ordinary import (
    DELIMITERS,
    HEADER_WORDS,
    KEYS,
    WORDS,
    cardledger_id,
    ordinary_text,
    timestamp,
    traceparent,
    uuid_text,
    version,
)


@dataclass(frozen=True)
class Attack:
    request: Request
    number: str  # the card number inside, ASCII digits
    sent: str  # the disguised text as it is in the request
    place: str  # body, number, key, encoding, path, query, header, header name, name
    how: str  # the disguise's label
    status: int = 422  # the answer the guard owes
    code: str = "card-data-refused"

    def __repr__(self) -> str:  # what a failing test prints
        return f"Attack({self.place}, {self.how}, {self.sent!r}, {self.request!r})"


def around(c: Chooser, text: str, glue: bool = True) -> str:
    """Words before and after the number. Glued straight to a letter, unless
    the number is base64 (a token's neighbours would join the token)."""
    delimiters = (*DELIMITERS, "") if glue else DELIMITERS
    before = c.choice(WORDS) + c.choice(delimiters) if coin(c) else ""
    after = c.choice(delimiters) + c.choice(WORDS) if coin(c) else ""
    return before + text + after


def _around(c: Chooser, disguise: Disguise) -> str:
    return around(c, disguise.text, glue="base64" not in disguise.how)


def attack_in_body_text(c: Chooser, target: Target = DEFAULT_TARGET) -> Attack:
    """A string somewhere in the JSON body (JSON \\u escapes included)."""
    disguise = disguised(c)
    d = with_body(draft(c, target))
    d.body = with_hole(c, d.body or {}, _around(c, disguise))
    return Attack(d.request(c), disguise.number, disguise.text, "body", disguise.how)


def attack_as_key(c: Chooser, target: Target = DEFAULT_TARGET) -> Attack:
    disguise = disguised(c)
    d = with_body(draft(c, target))
    d.body = with_hole(c, d.body or {}, Key(_around(c, disguise)))
    return Attack(d.request(c), disguise.number, disguise.text, "key", disguise.how)


MAX_EXACT = 2**53  # every integer up to this is exactly a float


def number_literal(c: Chooser, number: str) -> str:
    """The number as a JSON number: an integer, negative, or, while a float
    holds it exactly, a float with a fraction or an exponent that equals it."""
    forms = ["int", "negative"]
    if int(number) < MAX_EXACT:
        forms += ["fraction", "exponent", "shifted", "trailing zeros"]
    form = c.choice(forms)
    if form == "int":
        return number
    if form == "negative":
        return "-" + number
    if form == "fraction":
        return number + "." + "0" * c.integer(1, 3)
    if form == "exponent":
        return number + c.choice(("e0", "E0", "e+0", "E-0"))
    if form == "shifted":  # 4.242424242424242e15, 42424.24242424242e11
        point = c.integer(1, len(number) - 1)
        return number[:point] + "." + number[point:] + c.choice(("e", "E", "e+")) + str(
            len(number) - point)
    zeros = c.integer(1, 3)  # 42424242424242420e-1
    return number + "0" * zeros + c.choice(("e-", "E-")) + str(zeros)


def attack_as_number(c: Chooser, target: Target = DEFAULT_TARGET) -> Attack:
    number = card_number(c)
    literal = number_literal(c, number)
    d = with_body(draft(c, target))
    d.body = with_hole(c, d.body or {}, Literal(literal))
    return Attack(d.request(c), number, literal, "number", "literal")


# Every encoding the standard library's json.loads reads from bytes (it
# detects BOMs and UTF-16/32 by the zero bytes); cardledger takes plain UTF-8 only.
FOREIGN_ENCODINGS = ("utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-16-le+bom",
                     "utf-16-be+bom", "utf-32", "utf-32-le", "utf-32-be", "utf-32-le+bom",
                     "utf-32-be+bom")


def foreign_bytes(text: str, encoding: str) -> bytes:
    if encoding.endswith("+bom"):
        return ("\ufeff" + text).encode(encoding.removesuffix("+bom"))
    return text.encode(encoding)


def attack_in_foreign_encoding(c: Chooser, target: Target = DEFAULT_TARGET) -> Attack:
    """The body the stdlib parser would read, in UTF-16/32 or behind a BOM."""
    disguise = disguised(c)
    d = with_body(draft(c, target))
    hole = Key(_around(c, disguise)) if coin(c) else _around(c, disguise)
    encoding = c.choice(FOREIGN_ENCODINGS)
    d.raw_body = foreign_bytes(to_json(with_hole(c, d.body or {}, hole), json_style(c)),
                               encoding)
    if coin(c):
        d.headers["content-type"] = "application/json; charset=" + encoding.split("+")[0]
    return Attack(d.request(c), disguise.number, disguise.text, "encoding",
                  f"{encoding}/{disguise.how}", 415, "unsupported-media-type")


def attack_in_path(c: Chooser, target: Target = DEFAULT_TARGET) -> Attack:
    """A path segment: an id's place, or one more segment."""
    disguise = disguised(c)
    d = draft(c, target)
    ids = [i for i, s in enumerate(d.segments) if s in (target.company, target.customer,
                                                         target.card)]
    text = _around(c, disguise)
    if ids and coin(c):
        d.segments[c.choice(ids)] = text
    else:
        d.segments.insert(c.integer(0, len(d.segments)), text)
    return Attack(d.request(c), disguise.number, disguise.text, "path", disguise.how)


def attack_in_query(c: Chooser, target: Target = DEFAULT_TARGET) -> Attack:
    """A query parameter's value or name, among the route's own."""
    disguise = disguised(c)
    d = draft(c, target)
    text = _around(c, disguise)
    pair = (c.choice(KEYS), text) if coin(c) else (text, c.choice(("", "1", "true", "x")))
    d.query.insert(c.integer(0, len(d.query)), pair)
    return Attack(d.request(c), disguise.number, disguise.text, "query", disguise.how)


HEADER_NAMES = ("x-actor", "idempotency-key", "x-request-id", "x-correlation-id",
                "x-client-reference", "x-forwarded-for", "user-agent", "cookie", "referer")


def attack_in_header(c: Chooser, target: Target = DEFAULT_TARGET) -> Attack:
    """A header value: X-Actor, Idempotency-Key, X-Request-ID or any X-* header."""
    disguise = disguised(c)
    d = draft(c, target)
    name = c.choice((*HEADER_NAMES, "x-" + c.choice(HEADER_WORDS).lower()))
    text = _around(c, disguise)
    if name == "x-actor":
        text = c.choice(("user:", "customer:", "")) + text
    elif name == "cookie":
        text = f"session=abc; {c.choice(KEYS)}={text}"
    d.headers[name] = text
    return Attack(d.request(c), disguise.number, disguise.text, "header", disguise.how)


def attack_in_header_name(c: Chooser, target: Target = DEFAULT_TARGET) -> Attack:
    """A header's name: ``X-4242-4242-4242-4242``. Names are tokens (RFC 9110)
    and arrive lower-cased, so digits, ``-._~`` and percent-encoding only."""
    number = card_number(c)
    text = joined(c, groups_of(c, number), HEADER_NAME_SEPARATORS)
    if writes_a_date(text):
        text = "_".join(groups_of(c, number))
    if coin(c):
        text = percent_encoded(c, text, 1).lower()
    name = "x-" + c.choice(("", "card-", "ref-", "order.")) + text
    d = draft(c, target)
    d.raw_headers.append((name.encode(), c.choice((b"1", b"yes", b"ok"))))
    return Attack(d.request(c), number, text, "header name", "token")


def attack_split_by_any_separator(c: Chooser, target: Target = DEFAULT_TARGET) -> Attack:
    """A JSON string with the number's groups joined by any 1-3 characters
    that are neither letters nor digits (docs/card-data.md step 2)."""
    number = card_number(c)
    groups = groups_of(c, number)
    if len(groups) == 1:
        groups = [number[:4], number[4:]]
    text = joined(c, groups, any_separators())
    if writes_a_date(text):
        text = " ".join(groups)
    d = with_body(draft(c, target))
    d.body = with_hole(c, d.body or {}, around(c, text))
    return Attack(d.request(c), number, text, "body", "any separator")


IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,255}")  # as api/commands.py checks it


def fitting(c: Chooser, pattern: re.Pattern[str], prefix: str = "") -> Disguise:
    """A disguise the field's own pattern accepts (with ``prefix``), so that,
    were the guard to miss it, the route would store it."""
    separators = "".join(ch for ch in LISTED_SEPARATORS if pattern.fullmatch(prefix + "1" + ch))
    for _ in range(8):
        disguise = disguised(c, separators=separators)
        if pattern.fullmatch(prefix + disguise.text):
            return disguise
    number = card_number(c)
    return Disguise(number, joined(c, groups_of(c, number), separators), "ascii none")


def attack_in_a_stored_field(c: Chooser, target: Target = DEFAULT_TARGET) -> Attack:
    """A number where a command would store it, written as that field allows:
    a customer id (PUT customer), an Idempotency-Key (add card), an X-Actor
    (PUT customer) or an invoice id (pay)."""
    field = c.choice(("customer id", "idempotency key", "actor", "invoice id"))
    if field == "customer id":
        disguise = fitting(c, EXTERNAL_ID)
        d = draft(c, target, REGISTER)
        d.segments[d.segments.index(target.customer)] = disguise.text
    elif field == "idempotency key":
        disguise = fitting(c, IDEMPOTENCY_KEY)
        d = draft(c, target, ADD_CARD)
        d.headers["idempotency-key"] = disguise.text
    elif field == "actor":
        disguise = fitting(c, ACTOR, "user:")
        d = draft(c, target, REGISTER)
        d.headers["x-actor"] = "user:" + disguise.text
    else:
        disguise = fitting(c, EXTERNAL_ID)
        d = draft(c, target, PAY)
        d.headers["idempotency-key"] = "key-" + c.text(string.ascii_letters, 8, 16)
        d.body = {**(d.body or {}), "invoice_id": disguise.text}
    return Attack(d.request(c), disguise.number, disguise.text, field, disguise.how)


SENSITIVE_NAMES = (("number",), ("card", "number"), ("card", "cvc"), ("cvv2",), ("pan",),
                   ("security", "code"), ("cvc",), ("cvv",), ("cvc2",), ("card", "no"),
                   ("cc", "number"), ("credit", "card"), ("card", "num"), ("track2",),
                   ("card", "verification"), ("csc",), ("cvn",), ("card", "code"),
                   ("debit", "card"), ("cardnumber",))
QUALIFIERS = ("billing", "payment", "x", "customer", "new", "card")


def sensitive_name(c: Chooser) -> str:
    """A name that says it holds a card number or CVC, in any naming style,
    qualified by other words in front (except ``number``: only alone)."""
    words = list(c.choice(SENSITIVE_NAMES))
    if words != ["number"] and coin(c):
        words.insert(0, c.choice(QUALIFIERS))
    style = c.choice(("snake", "kebab", "camel", "pascal", "upper", "brackets", "dotted",
                      "spaced"))
    if style == "camel":
        return words[0] + "".join(w.capitalize() for w in words[1:])
    if style == "pascal":
        return "".join(w.capitalize() for w in words)
    if style == "upper":
        return "_".join(words).upper()
    if style == "brackets":
        return words[0] + "".join(f"[{w}]" for w in words[1:])
    return {"snake": "_", "kebab": "-", "dotted": ".", "spaced": " "}[style].join(words)


def sensitive_field(c: Chooser, target: Target = DEFAULT_TARGET) -> Attack:
    """A field named like card data, whatever it holds: a body key, a query
    parameter's name, a header's name, a cookie's name."""
    name = sensitive_name(c)
    value = c.choice(("737", "4242", "x", "***", "", timestamp(c)))
    d = draft(c, target)
    place = c.choice(("body key", "query name", "header name", "cookie name"))
    if place == "body key":
        d = with_body(d)
        d.body = with_hole(c, d.body or {}, Key(name))
    elif place == "query name":
        d.query.append((name, value))
    elif place == "header name":
        # "number" is card data only as the whole name: X-Number is not.
        header = name if name.lower() == "number" else "x-" + name
        header = header.lower().replace(" ", "-").replace("[", "-").replace("]", "")
        d.raw_headers.append((header.encode(), value.encode()))
    else:
        d.headers["cookie"] = f"session=abc; {name.replace(' ', '_')}={value}"
    return Attack(d.request(c), "", name, place, "name")


@dataclass(frozen=True)
class Ordinary:
    request: Request
    document: Any  # the body as sent, parsed; None without a body


def ordinary_body(c: Chooser, target: Target = DEFAULT_TARGET) -> Ordinary:
    """A route's own body with more ordinary fields in it (which the route
    would refuse, but the guard has no reason to)."""
    d = with_body(draft(c, target))
    document = dict(d.body or {})
    for key, value in ordinary_object(c).items():
        document.setdefault(key, value)
    for _ in range(c.integer(1, 3)):
        document.setdefault(c.choice(KEYS), ordinary_text(c))
    d.body = document
    return Ordinary(d.request(c), document)


ORDINARY_HEADERS = ("x-request-id", "idempotency-key", "x-client-version", "x-correlation-id",
                    "if-match", "x-sent-at", "x-note", "accept-language", "traceparent")


def ordinary_headers(c: Chooser, target: Target = DEFAULT_TARGET) -> Ordinary:
    """Headers and query parameters with ordinary values (no body)."""
    d = draft(c, target)
    d.body = None
    d.headers.pop("content-type", None)
    for _ in range(c.integer(1, 4)):
        name = c.choice(ORDINARY_HEADERS)
        d.headers[name] = {"x-request-id": cardledger_id, "x-client-version": version,
                           "x-sent-at": timestamp, "if-match": lambda c: f'"{c.integer(0, 999)}"',
                           "idempotency-key": uuid_text, "traceparent": traceparent,
                           }.get(name, ordinary_text)(c).strip() or "x"
    for _ in range(c.integer(0, 2)):
        d.query.append((c.choice(("as_of", "before", "after", "q", "version")),
                        ordinary_text(c)))
    return Ordinary(d.request(c), None)

"""JSON documents with something put in at a random place, written in a
random style (compact or spaced, strings with or without \\u escapes)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.guard.choices import Chooser, coin
from tests.guard.ordinary import KEYS, ordinary_number, ordinary_sentence, ordinary_text


@dataclass(frozen=True)
class Literal:
    """A number as written in the JSON text, not as json.dumps would write it."""
    text: str


@dataclass(frozen=True)
class Key:
    """A text that goes in a document as an object key."""
    text: str


def ordinary_value(c: Chooser, depth: int = 0) -> Any:
    kind = c.choice(("text", "sentence", "number", "bool", "null", "list", "object")
                    if depth < 3 else ("text", "sentence", "number", "bool", "null"))
    if kind == "text":
        return ordinary_text(c)
    if kind == "sentence":
        return ordinary_sentence(c)
    if kind == "number":
        return ordinary_number(c)
    if kind == "bool":
        return coin(c)
    if kind == "null":
        return None
    if kind == "list":
        return [ordinary_value(c, depth + 1) for _ in range(c.integer(0, 3))]
    return ordinary_object(c, depth + 1)


def ordinary_object(c: Chooser, depth: int = 0) -> dict[str, Any]:
    return {c.choice(KEYS): ordinary_value(c, depth) for _ in range(c.integer(0, 3))}


def with_hole(c: Chooser, document: dict[str, Any], hole: Any, depth: int = 0) -> dict[str, Any]:
    """The document with ``hole`` put in at a random place: a member's value,
    a list element, or a key (a ``Key``), here or some levels deeper."""
    spot = c.choice(("here", "list", "deeper") if depth < 4 else ("here", "list"))
    if spot == "deeper":
        document[c.choice(KEYS)] = with_hole(c, ordinary_object(c, 3), hole, depth + 1)
    elif spot == "list":
        items = [ordinary_value(c, 3) for _ in range(c.integer(0, 2))]
        at = c.integer(0, len(items))
        value = {hole.text: ordinary_value(c, 3)} if isinstance(hole, Key) else hole
        document[c.choice(KEYS)] = [*items[:at], value, *items[at:]]
    elif isinstance(hole, Key):
        document[hole.text] = ordinary_value(c, 3)
    else:
        document[c.choice(KEYS)] = hole
    return document


@dataclass(frozen=True)
class JsonStyle:
    escape: str  # which characters of strings become \\u escapes: none, ascii, digits, all
    upper: bool  # \\u00E9 or \\u00e9
    compact: bool


def json_style(c: Chooser) -> JsonStyle:
    return JsonStyle(c.choice(("none", "ascii", "digits", "all")), coin(c), coin(c))


def _escaped(ch: str, upper: bool) -> str:
    """``\\u00e9``; beyond the first plane, the surrogate pair JSON writes."""
    code = ord(ch)
    if code > 0xFFFF:
        code -= 0x10000
        units = (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))
    else:
        units = (code,)
    return "".join(f"\\u{unit:04X}" if upper else f"\\u{unit:04x}" for unit in units)


def json_string(text: str, style: JsonStyle) -> str:
    if style.escape == "all":
        return '"' + "".join(_escaped(ch, style.upper) for ch in text) + '"'
    written = json.dumps(text, ensure_ascii=style.escape == "ascii")
    if style.escape == "digits":  # json.dumps leaves every kind of digit as it is
        return "".join(_escaped(ch, style.upper) if ch.isnumeric() else ch for ch in written)
    return written


def to_json(value: Any, style: JsonStyle) -> str:
    """JSON text in the given style; ``Literal`` numbers go in as written."""
    comma, colon = (",", ":") if style.compact else (", ", ": ")
    if isinstance(value, Literal):
        return value.text
    if isinstance(value, str):
        return json_string(value, style)
    if isinstance(value, dict):
        return "{" + comma.join(json_string(k, style) + colon + to_json(v, style)
                                for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + comma.join(to_json(item, style) for item in value) + "]"
    return json.dumps(value)

"""The generators themselves: every brand and length comes out Luhn-valid,
and every disguise still holds its number, so a case the guard lets through
is the guard's miss, never a number the generator broke."""

from __future__ import annotations

import base64
import html
import re
import unicodedata
from urllib.parse import unquote

import pytest

from cardledger.card_data import luhn_valid
from tests.guard.cards import BRANDS, Brand, card_number
from tests.guard.cases import attack_split_by_any_separator
from tests.guard.choices import RandomChooser
from tests.guard.disguises import Disguise, disguised

_BACKSLASH = re.compile(r"\\u\{([0-9a-fA-F]+)\}|\\U([0-9a-fA-F]{8})|\\u([0-9a-fA-F]{4})"
                        r"|\\x([0-9a-fA-F]{2})")
_WIDE_PERCENT = re.compile(r"%u([0-9a-fA-F]{4})")


@pytest.mark.parametrize("brand", BRANDS, ids=lambda brand: brand.name)
def test_each_brand_gives_luhn_valid_numbers_of_its_prefixes_and_lengths(brand: Brand) -> None:
    chooser = RandomChooser(0)
    numbers = [card_number(chooser, brand) for _ in range(500)]
    assert all(luhn_valid(number) for number in numbers)
    assert {len(number) for number in numbers} == set(brand.lengths)
    for number in numbers:
        assert any(low <= int(number[:len(str(low))]) <= high for low, high in brand.prefixes)


def test_every_disguise_decodes_back_to_its_number() -> None:
    chooser = RandomChooser(1)
    for _ in range(3000):
        disguise = disguised(chooser)
        assert digits_of(decoded(disguise)) == disguise.number, disguise


def test_a_number_split_by_any_separator_keeps_its_digits() -> None:
    chooser = RandomChooser(2)
    for _ in range(2000):
        attack = attack_split_by_any_separator(chooser)
        assert digits_of(attack.sent) == attack.number, attack


def decoded(disguise: Disguise) -> str:
    """The disguise undone by the standard library (plus two small regexes),
    not by the guard's code."""
    text = disguise.text
    rounds = int(disguise.how[-1]) if disguise.how[-1].isdigit() else 0
    for _ in range(rounds):
        text = unquote(text)
    if "base64" in disguise.how:
        text = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_")
                                        + "=" * (-len(text) % 4)).decode()
    elif "html" in disguise.how:
        text = html.unescape(text)
    elif "wide percent" in disguise.how:
        text = _WIDE_PERCENT.sub(lambda m: chr(int(m.group(1), 16)), text)
    elif "backslash" in disguise.how:
        text = _BACKSLASH.sub(lambda m: chr(int(next(g for g in m.groups() if g), 16)), text)
        text = text.encode("utf-16", "surrogatepass").decode("utf-16")  # join the pairs
    return text


def digits_of(text: str) -> str:
    normal = unicodedata.normalize("NFKC", text)
    return "".join(str(unicodedata.decimal(ch)) for ch in normal if ch.isdecimal())

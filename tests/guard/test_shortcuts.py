"""The rule's shortcuts (cardledger/card_data.py): text in which no reading
can hold 13 digits skips the readings. They must never skip a text that has a
card number in it, so each is checked against what it stands in for."""

from __future__ import annotations

import base64
import sys
import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cardledger import card_data
from cardledger.card_data import MIN_DIGITS, looks_like_card_number

# Characters whose compatibility form holds digits, mixed with the rest.
DIGITISH = st.sampled_from(sorted(chr(code) for code in card_data._digit_weights()))
TEXT = st.text(st.one_of(DIGITISH, st.characters(), st.sampled_from("%&\\-/ ")), max_size=60)


def digits_in_some_form(text: str) -> int:
    normal = unicodedata.normalize("NFKC", text)
    return max(sum(c.isdecimal() for c in text), sum(c.isdecimal() for c in normal))


@given(TEXT)
def test_a_text_said_to_hold_too_few_digits_holds_too_few_in_every_form(text: str) -> None:
    if not card_data._may_hold_digits(text):
        assert digits_in_some_form(text) < MIN_DIGITS


@given(TEXT)
def test_the_decimal_count_is_what_the_scan_reads_as_digits(text: str) -> None:
    assert card_data._decimal_count(text) == len(card_data._DECIMAL.findall(text))


@pytest.mark.parametrize("text", [
    "⑽⑽⑽⑽⑽⑽⑽",  # parenthesised numbers: two digits each in NFKC
    "\\u0034" * 16,  # escapes: no digit until decoded
    "%34%32" * 8,
    "&#52;&#50;" * 8,
    "\ud835\udfd2" * 16,  # surrogate pairs that join into a mathematical 4
])
def test_text_whose_digits_appear_only_when_read_is_not_skipped(text: str) -> None:
    assert card_data._may_hold_digits(text)


def test_no_character_past_the_planes_the_table_covers_has_a_digit_in_its_compatibility_form(
        ) -> None:
    beyond = [code for code in range(card_data.DIGITISH_PLANES_END, sys.maxunicode + 1)
              if any(c.isdecimal() for c in unicodedata.normalize("NFKC", chr(code)))]
    assert beyond == []


def test_base64_of_a_card_number_inside_a_path_is_still_read() -> None:
    # given a path whose tokens are base64 words with no digits in them but one
    assert looks_like_card_number("/v1/companies/acme/customers/NDI0MjQyNDI0MjQyNDI0Mg/cards")
    assert not looks_like_card_number("/v1/companies/acme/customers/bench-customer-abc/cards")


ESCAPES = st.sampled_from(["%34", "%u0034", "&#52;", "&sup2;", "\\u0034", "\\x34", "%", "&", "\\",
                           "%zz", "& ", "\\n"])
DECODED = st.lists(st.one_of(DIGITISH, st.characters(max_codepoint=0x2FF), ESCAPES),
                   max_size=40).map("".join)


@given(DECODED)
def test_a_decoding_said_to_hold_too_few_digits_is_unchanged_by_decoding_and_holds_too_few(
        text: str) -> None:
    # what a base64 token decodes to is read as it is (NFKC) and decoded once
    if not card_data._decoded_may_hold_digits(text):
        assert card_data._decode_once(text) == text
        assert digits_in_some_form(text) < MIN_DIGITS


SHORTEST = "4222222222222"  # Visa's 13-digit test number


@pytest.mark.parametrize("text", [SHORTEST, "４２２２２２２２２２２２２", f"ref {SHORTEST} ok"],
                         ids=["plain", "fullwidth", "inside text"])
def test_the_shortest_card_number_is_not_skipped_in_any_form(text: str) -> None:
    assert card_data._may_hold_digits(text)
    assert card_data._decoded_may_hold_digits(text)
    assert looks_like_card_number(text)
    assert looks_like_card_number("x" + base64.b64encode(text.encode()).decode())


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize("disguise", [
    _fullwidth,
    lambda token: "\u200b".join(token[i:i + 5] for i in range(0, len(token), 5)),
    lambda token: "\u00ad".join(token),  # a soft hyphen between every letter
], ids=["fullwidth letters", "split by zero-width spaces", "soft hyphens"])
def test_base64_that_becomes_a_token_only_in_its_normal_form_is_still_read(disguise: Any) -> None:
    # given base64 of a card number that no ASCII token shows as written
    hidden = disguise(base64.b64encode(b"4242424242424242").decode())
    assert not card_data._BASE64_TOKEN.search(hidden)
    # then the shortcut does not skip it, and the rule finds the number
    assert looks_like_card_number(hidden)


@pytest.mark.parametrize("text", [
    "＆ｈａｌｆ；" * 7,  # '&half;' in fullwidth: an escape only in NFKC, digits only decoded
    "﹪３４" * 16,  # a small percent sign
    "＼ｕ００３４" * 16,
])
def test_an_escape_that_appears_only_in_the_normal_form_is_not_skipped(text: str) -> None:
    assert card_data._may_hold_digits(text)


def test_the_readings_of_escapes_written_in_fullwidth_are_read() -> None:
    # given '&half;' seven times, in fullwidth letters: NFKC makes it an HTML
    # reference, and ½ is '1⁄2' in NFKC, 14 digits in all
    text = "＆ｈａｌｆ；" * 7
    forms = list(card_data.readings(text))
    assert any("1⁄2" in form for form in forms)


# --- the shortcuts against the rule without them ---------------------------------------

def _fullwidth_all(text: str) -> str:
    return _fullwidth(text)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _urlsafe_b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _percent(text: str) -> str:
    return "".join(f"%{ord(c):02X}" if c.isdigit() else c for c in text)


def _html(text: str) -> str:
    return "".join(f"&#{ord(c)};" if c.isdigit() else c for c in text)


def _backslash(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" if c.isdigit() else c for c in text)


def _zero_width(text: str) -> str:
    return "\u200b".join(text)


STEPS = st.sampled_from([_fullwidth_all, _b64, _urlsafe_b64, _percent, _html, _backslash,
                         _zero_width])
SEEDS = st.one_of(
    st.sampled_from(["4242424242424242", "4222222222222", "378282246310005",
                     "4242 4242 4242 4242", "5555-5555-5555-4444", "1234567890123"]),
    st.text(st.sampled_from("0123456789 -./abcxyzＡ１％＆"), max_size=30),
    st.text(max_size=30))


@given(SEEDS, st.lists(STEPS, max_size=3), st.text(max_size=8), st.text(max_size=8))
def test_the_verdict_with_the_shortcuts_is_the_verdict_without_them(
        seed: str, steps: list[Any], before: str, after: str) -> None:
    text = seed
    for step in steps:
        text = step(text)
    text = before + text + after
    fast = looks_like_card_number(text)
    with pytest.MonkeyPatch.context() as off:
        off.setattr(card_data, "_may_hold_digits", lambda _text: True)
        off.setattr(card_data, "_decoded_may_hold_digits", lambda _text: True)
        off.setattr(card_data, "_decimal_count", lambda _text: MIN_DIGITS)
        slow = looks_like_card_number(text)
    assert fast == slow, text

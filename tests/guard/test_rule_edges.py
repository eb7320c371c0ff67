"""The card-data rule (cardledger/card_data.py) at its edges, with data a
slightly wrong rule answers differently: separator runs of exactly three and
four, a UUID with exactly one hex letter, digits from other scripts, spans
that start inside a longer grouped run, and base64 whose last character is
a stray one. Written from mutation testing (docs/testing.md): each test
fails with one small bug planted in the rule."""

from __future__ import annotations

import base64

import pytest

from cardledger.card_data import MAX_FORMS, is_sensitive_name, looks_like_card_number, redact

VISA = "4242424242424242"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_a_run_of_three_separators_joins_digit_groups_and_four_ends_the_run() -> None:
    # docs/card-data.md: "a run of at most three characters that are neither
    # letters nor digits"
    assert looks_like_card_number("4242---4242---4242---4242")
    assert not looks_like_card_number("4242----4242----4242----4242")


def test_a_uuid_with_a_single_hex_letter_is_an_identifier_and_is_masked() -> None:
    # given a version-4 UUID with one hex letter whose digits hold a Luhn-valid
    # span of whole groups; the rule masks UUIDs with at least one hex letter
    uuid = "21539743-1083-49a4-8195-926484756469"
    assert not looks_like_card_number(uuid)
    # and the same digits with the letter gone are read like any digits
    assert looks_like_card_number(uuid.replace("a", "-"))


@pytest.mark.parametrize("digits", ["٠١٢٣٤٥٦٧٨٩", "०१२३४५६७८९", "０１２３４５６７８９"],
                         ids=["arabic-indic", "devanagari", "fullwidth"])
def test_a_card_number_in_the_digits_of_another_script_is_found(digits: str) -> None:
    written = VISA.translate(str.maketrans("0123456789", digits))
    assert looks_like_card_number(written)
    assert looks_like_card_number(f"card {written[:4]} {written[4:8]} {written[8:]}")


@pytest.mark.parametrize("text", [
    "ref 1 4000 0566 5566 5556",  # the number starts at digit 1 (odd)
    "ref 12 4000 0566 5566 5556",  # at digit 2: the second span of its length
])
def test_a_number_after_a_short_group_of_other_digits_is_found(text: str) -> None:
    # docs/card-data.md: every span of whole groups holding 13-19 digits is checked
    assert looks_like_card_number(text)


def test_a_number_written_only_in_percent_u_escapes_is_found() -> None:
    # given %uXXXX, the old non-standard escape, and no ordinary %XX escape
    written = "".join(f"%u{ord(digit):04x}" for digit in VISA)
    assert looks_like_card_number(written)


def test_base64_with_one_stray_character_after_it_is_read_to_its_last_byte() -> None:
    # given base64 of 18 bytes ending in the number's check digit, then a stray
    # character (25 characters: one past the last whole byte)
    written = b64("ab5555555555554444") + "x"
    assert looks_like_card_number(written)


def test_base64_of_the_shortest_card_number_alone_is_found() -> None:
    # given a 13-digit Luhn-valid number (the shortest the rule knows) as base64
    shortest = "4222222222222"
    assert looks_like_card_number(shortest)
    assert looks_like_card_number(b64(shortest))


@pytest.mark.parametrize("text", [VISA, "ab" + VISA, "123" + VISA, "12345678901234567890"])
def test_base64_gets_the_verdict_of_what_it_decodes_to(text: str) -> None:
    # an unbroken run is checked only as a whole, encoded or not
    assert looks_like_card_number(b64(text)) is looks_like_card_number(text)


@pytest.mark.parametrize(("name", "sensitive"), [
    ("timespan", False), ("japan", False), ("paymentpan", True), ("xcardcvc", True),
    ("newtrack2", True)])
def test_a_one_word_name_ending_in_card_data_is_sensitive_unless_it_ends_innocently(
        name: str, sensitive: bool) -> None:
    assert is_sensitive_name(name) is sensitive


@pytest.mark.parametrize("name", ["", "[]", "--", "\u200b"])
def test_a_name_without_any_word_is_not_sensitive(name: str) -> None:
    assert is_sensitive_name(name) is False


@pytest.mark.parametrize("text", ["charged 1250 usd to pm_card_visa at 2026-11-25T17:33:56Z",
                                  "4242424242424241", ""])
def test_a_log_line_without_a_card_number_is_left_exactly_as_it_was(text: str) -> None:
    # the log filter (cardledger/log_safety.py) passes every message through redact
    assert redact(text) == text


# One escape per decoding step, in the order the rule peels them (each round:
# percent, then HTML, then backslash, each run to its end, at most four steps).
ESCAPES = {"percent": lambda c: f"%{ord(c):02X}", "html": lambda c: f"&#x{ord(c):x};",
           "backslash": lambda c: f"\\x{ord(c):02x}"}
ROUND = ["percent"] * 4 + ["html"] * 4 + ["backslash"] * 4


def escaped_layers(text: str, layers: list[str]) -> str:
    """The text with its first character escaped once per layer, the first
    layer outermost: decoding takes one step per layer, each a new form."""
    for layer in reversed(layers):
        text = ESCAPES[layer](text[0]) + text[1:]
    return text


@pytest.mark.parametrize(("steps", "refused"), [(MAX_FORMS - 1, False), (MAX_FORMS, True)])
def test_a_text_is_read_to_its_end_in_max_forms_and_refused_past_them(
        steps: int, refused: bool) -> None:
    # given a text without a card number whose decoding takes MAX_FORMS - 1 or
    # MAX_FORMS steps (31 or 32; hex escapes: their letters keep the escapes'
    # digits from making a run); with the text as written, 32 or 33 forms
    text = escaped_layers("no card here", (ROUND * 3)[:steps])
    # then 32 forms are read to the end and pass; a 33rd is not read: refused
    # (found by mutation testing: `len(seen) >= MAX_FORMS` -> `>` let it pass)
    assert looks_like_card_number(text) is refused


@pytest.mark.parametrize(("rounds", "refused"), [(4, False), (5, True)])
def test_a_text_is_decoded_for_four_rounds_and_refused_when_it_needs_a_fifth(
        rounds: int, refused: bool) -> None:
    # given a text without a card number escaped backslash, then percent and
    # backslash over and over: a round runs percent before backslash, so each
    # round after the first peels one pair (docs/card-data.md: four rounds)
    layers = ["backslash"] + ["percent", "backslash"] * (rounds - 1)
    text = escaped_layers("no card here", layers)
    # then four rounds are read to the end and pass; a fifth is not: refused
    assert looks_like_card_number(text) is refused


@pytest.mark.parametrize("text", ["", "424242424242", "card 4242 42"])
def test_a_text_shorter_than_the_shortest_card_number_is_not_one(text: str) -> None:
    # the answer is a bool, False, like every other "no" (not merely falsy)
    assert looks_like_card_number(text) is False

"""The guard's remembered verdicts (api/remembered_verdicts.py): a clean text
seen before is not read again, what is kept is a digest and never the text,
and a text with a card number is refused every time it comes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api import remembered_verdicts
from api.remembered_verdicts import DIGEST_BYTES, RememberedVerdicts
from cardledger.card_data import looks_like_card_number

API_KEY = "pk_portal_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"
CARD = "4242 4242 4242 4242"


@pytest.fixture
def readings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the rule itself was asked about."""
    asked: list[str] = []

    def counted(text: str) -> Any:
        asked.append(text)
        return looks_like_card_number(text)

    monkeypatch.setattr(remembered_verdicts, "looks_like_card_number", counted)
    return asked


def test_a_clean_text_seen_before_is_not_read_again(readings: list[str]) -> None:
    verdicts = RememberedVerdicts()
    # given a header value read once and found clean
    assert verdicts.looks_like_card_number(f"Bearer {API_KEY}") is False
    # when it comes again, then the answer is the same without a second reading
    assert verdicts.looks_like_card_number(f"Bearer {API_KEY}") is False
    assert readings == [f"Bearer {API_KEY}"]


def test_what_is_kept_is_a_digest_never_the_text() -> None:
    verdicts = RememberedVerdicts()
    verdicts.looks_like_card_number(f"Bearer {API_KEY}")
    [kept] = verdicts.digests()
    assert len(kept) == DIGEST_BYTES
    assert API_KEY.encode() not in kept and b"Bearer" not in kept
    # and the digest is keyed per process: another instance keeps another one
    other = RememberedVerdicts()
    other.looks_like_card_number(f"Bearer {API_KEY}")
    assert other.digests() != [kept]


def test_a_text_with_a_card_number_is_refused_every_time_and_never_kept(
        readings: list[str]) -> None:
    verdicts = RememberedVerdicts()
    assert [verdicts.looks_like_card_number(CARD) for _ in range(3)] == [True] * 3
    assert readings == [CARD] * 3
    assert verdicts.digests() == []


def test_the_least_recently_seen_are_forgotten_past_the_limit(readings: list[str]) -> None:
    verdicts = RememberedVerdicts(maxsize=3)
    texts = [f"customer-number-{n:04d}-of-many" for n in range(5)]
    for text in [*texts, texts[3]]:
        verdicts.looks_like_card_number(text)
    assert len(verdicts.digests()) == 3
    # the one seen last is still known; the first, long unseen, is read again
    readings.clear()
    verdicts.looks_like_card_number(texts[3])
    verdicts.looks_like_card_number(texts[0])
    assert readings == [texts[0]]


@given(st.lists(st.one_of(st.text(max_size=40), st.sampled_from(
    [CARD, "4242424242424242", "%34%32%34%32" * 4, API_KEY, "pm_card_visa"])), max_size=12))
def test_remembered_verdicts_are_the_rules_verdicts(texts: list[str]) -> None:
    verdicts = RememberedVerdicts(maxsize=4)
    for text in texts + texts:
        assert verdicts.looks_like_card_number(text) == looks_like_card_number(text)

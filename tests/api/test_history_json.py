"""The history answer is written straight from the view's rows (api/schemas.py
``history_json``) instead of through the ``History`` model; these tests hold it
to the model: the same bytes FastAPI would have sent for any page of entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from api.schemas import History, HistoryItem, history_json
from projections.views import HistoryEntry, iso

# What FastAPI does with a route's History: pydantic-core's dump_json of the model.
AS_FASTAPI_SENDS = TypeAdapter(History)

instants = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1),
                        timezones=st.sampled_from([UTC, timezone(timedelta(hours=2))]))
words = st.text(max_size=12)  # any text, non-ASCII and quotes included
entries = st.builds(
    HistoryEntry,
    position=st.integers(min_value=1, max_value=2**62),
    at=instants.map(iso),
    action=words,
    company_id=words,
    customer_id=st.one_of(st.just(""), words),  # "": a company-wide change
    card_id=st.one_of(st.none(), st.just(""), words),
    brand=st.one_of(st.none(), words),
    last4=st.one_of(st.none(), st.from_regex(r"\A\d{4}\Z")),
    actor=words, source=words, detail=words)


def model_answer(page: list[HistoryEntry], has_more: bool, following: int | None) -> bytes:
    return AS_FASTAPI_SENDS.dump_json(History(
        history=[HistoryItem.of(e) for e in page], has_more=has_more,
        next_starting_after=following, next_before=following))


@settings(max_examples=300)
@given(page=st.lists(entries, max_size=5), has_more=st.booleans(),
       following=st.one_of(st.none(), st.integers(min_value=1, max_value=2**62)))
def test_any_page_of_history_is_written_as_the_history_model_would_be(
        page: list[HistoryEntry], has_more: bool, following: int | None) -> None:
    assert history_json(page, has_more, following) == model_answer(page, has_more, following)


def test_an_instant_on_a_whole_second_keeps_the_models_form() -> None:
    # Given a change stored at a whole second, in UTC
    entry = HistoryEntry(position=7, at=iso(datetime(2026, 11, 25, 11, 28, 36, tzinfo=UTC)),
                         action="added", company_id="acme", customer_id="1001",
                         card_id="card_abc", brand="visa", last4="4242",
                         actor="customer:1001", source="portal", detail="")
    # When the page is written, then it reads as the model's: Z, no fraction
    written = history_json([entry], False, None)
    assert b'"at":"2026-11-25T11:28:36Z"' in written
    assert written == model_answer([entry], False, None)

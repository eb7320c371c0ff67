"""One pagination convention for every list that can grow (history, events,
payments), Stripe's: ask for ``limit`` items ``starting_after`` the cursor of
the last item you have; the answer says ``has_more`` and gives
``next_starting_after``, the cursor to send for the next page (null on the
last one). A list's cursor is whatever orders it: a history entry's position,
an event's version, a payment's id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Query

T = TypeVar("T")


def limit_query(default: int, most: int) -> Any:
    return Query(ge=1, le=most, description=f"Items per page, 1 to {most} (default {default})")


STARTING_AFTER = ("The cursor of the last item you have (the previous answer's "
                  "`next_starting_after`); absent: the first page")

IntCursor = Annotated[int | None, Query(ge=0, le=2**62, description=STARTING_AFTER)]


def page(items: Sequence[T], limit: int) -> tuple[list[T], bool]:
    """The first ``limit`` items and whether more follow, from up to limit + 1."""
    return list(items[:limit]), len(items) > limit

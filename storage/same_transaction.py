"""Work done in the append's own transaction, after its insert.

An insert's caller may pass ``same_transaction=`` to the recorder's
``insert_events`` (through ``Application._record``'s keyword arguments). The
recorder runs it once the events are inserted and their notification ids are
known, before the commit, on the same connection; and tells it when the commit
has happened. The views' inline writer (projections/inline_views.py) is the
one user: it lets a command's answer include its change without waiting for
a projector.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

KEYWORD = "same_transaction"


class SameTransaction(Protocol):
    def run(self, cursor: Any, notification_ids: Sequence[int]) -> None:
        """Inside the append's transaction, after its insert. ``cursor`` is
        the store's own (psycopg's, or the library's SQLite wrapper). Must not
        raise for a failure of its own: the append is what matters."""

    def committed(self) -> None:
        """The append's transaction has committed."""


def of(kwargs: dict[str, Any]) -> SameTransaction | None:
    found: SameTransaction | None = kwargs.get(KEYWORD)
    return found

"""The online-payments switch of the companies this process saw last.

A card is added only while its company's switch is on, and the switch may be
flipped by an admin in another process at any time. Reading it from the store
for every command cost two queries an added card (once to decide, once more
right before the append). Here the last reading is kept with the company's
version, and an add that decided on it is appended on condition that the
company is still at that version (domain/basis.py): a switch flipped anywhere,
even while the card was being attached at the processor, fails that append,
and the command reads the switch afresh. A stale reading can therefore delay
a command, never decide one.
"""

from __future__ import annotations

from eventsourcing.application import LRUCache


class SwitchCache:
    """At most ``maxsize`` companies, least recently read evicted first
    (the library's own LRU, as its aggregate cache); ``maxsize`` 0 keeps none."""

    def __init__(self, maxsize: int) -> None:
        self._kept: LRUCache[str, tuple[bool, int]] | None = LRUCache(maxsize) if maxsize else None

    def get(self, company_id: str) -> tuple[bool, int] | None:
        """(switched on, the company's version), as last read or saved here."""
        if self._kept is None:
            return None
        try:
            return self._kept.get(company_id)
        except KeyError:
            return None

    def keep(self, company_id: str, enabled: bool, version: int) -> None:
        if self._kept is not None:
            self._kept.put(company_id, (enabled, version))

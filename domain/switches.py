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

import threading
from collections import OrderedDict


class SwitchCache:
    """At most ``maxsize`` companies, least recently read evicted first;
    ``maxsize`` 0 keeps none."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._kept: OrderedDict[str, tuple[bool, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, company_id: str) -> tuple[bool, int] | None:
        """(switched on, the company's version), as last read or saved here."""
        with self._lock:
            reading = self._kept.get(company_id)
            if reading is not None:
                self._kept.move_to_end(company_id)
            return reading

    def keep(self, company_id: str, enabled: bool, version: int) -> None:
        if not self.maxsize:
            return
        with self._lock:
            self._kept[company_id] = (enabled, version)
            self._kept.move_to_end(company_id)
            while len(self._kept) > self.maxsize:
                self._kept.popitem(last=False)

    def forget(self, company_id: str) -> None:
        with self._lock:
            self._kept.pop(company_id, None)

"""The guard's verdicts on texts it has already read, kept by digest only.

Most of what the guard reads repeats from request to request: the Host, the
Authorization header of each caller, the User-Agent, a customer's path, a
card token. Reading one through every decoding costs 20–250 µs (an API key
is a long run of base64 letters, so it is decoded to be sure); remembering
that it was clean costs one keyed hash (about 1 µs).

Nothing a caller sent is kept: an entry's key is a BLAKE2b digest of the text
under a key drawn at random when the process starts (so digests say nothing
outside it, and no one can aim a text at another's digest), and its value is
that the text was clean. An API key thus stays only in the key ring's digests
(api/auth.py). A text found to hold a card number is not remembered: it is
refused, and read again in full if it comes back. The verdict of
``looks_like_card_number`` depends on the text alone, so a remembered verdict
is the one reading it again would give.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict

from cardledger.card_data import MIN_DIGITS, looks_like_card_number

DIGEST_BYTES = 16  # 128 bits: a chance collision is out of reach


class RememberedVerdicts:
    """``looks_like_card_number`` for the guard, remembering up to ``maxsize``
    clean texts, least recently seen forgotten first. Thread-safe: the guard
    runs on the event loop and, for large bodies, in worker threads."""

    def __init__(self, maxsize: int = 4096) -> None:
        self.maxsize = maxsize
        self._key = secrets.token_bytes(32)
        self._clean: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()

    def looks_like_card_number(self, text: str) -> bool:
        if len(text) < MIN_DIGITS:
            return False  # no form of it is long enough: nothing to remember
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"),
                                 digest_size=DIGEST_BYTES, key=self._key).digest()
        with self._lock:
            if digest in self._clean:
                self._clean.move_to_end(digest)
                return False
        if looks_like_card_number(text):
            return True
        with self._lock:
            self._clean[digest] = None
            if len(self._clean) > self.maxsize:
                self._clean.popitem(last=False)
        return False

    def digests(self) -> list[bytes]:
        """What is kept (for the tests: digests, never texts)."""
        with self._lock:
            return list(self._clean)

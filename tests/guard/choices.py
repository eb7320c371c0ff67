"""Where a generated request's choices come from.

Every builder in this package takes a ``Chooser`` and asks it for integers,
picks and short texts, so the same code makes hypothesis examples
(strategies.py: choices read from bytes hypothesis draws and shrinks) and a
seeded fuzz run's cases (bench/guard_fuzz.py: a million of them, fast).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Protocol, TypeVar

T = TypeVar("T")


class Chooser(Protocol):
    def integer(self, low: int, high: int) -> int: ...

    def choice(self, options: Sequence[T]) -> T: ...

    def text(self, alphabet: str, min_size: int, max_size: int) -> str: ...


class RandomChooser:
    """Choices from a seeded ``random.Random``: the fuzz run's source."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def integer(self, low: int, high: int) -> int:
        return self.random.randint(low, high)

    def choice(self, options: Sequence[T]) -> T:
        return options[self.random.randrange(len(options))]

    def text(self, alphabet: str, min_size: int, max_size: int) -> str:
        size = self.random.randint(min_size, max_size)
        return "".join(self.random.choices(alphabet, k=size))


class ByteChooser:
    """Choices read from a byte string, as a fuzzer's data provider reads
    them: each choice takes the next bytes it needs, and once the bytes run
    out every choice is the first option. One draw of bytes per case is far
    cheaper than a hypothesis draw per choice, and shrinking the bytes
    towards zeros shrinks every choice towards its first option."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def integer(self, low: int, high: int) -> int:
        span = high - low + 1
        if span <= 1:
            return low
        size = ((span - 1).bit_length() + 7) // 8
        chunk = self.data[self.at:self.at + size]
        self.at += size
        return low + int.from_bytes(chunk, "big") % span

    def choice(self, options: Sequence[T]) -> T:
        return options[self.integer(0, len(options) - 1)]

    def text(self, alphabet: str, min_size: int, max_size: int) -> str:
        size = self.integer(min_size, max_size)
        return "".join(alphabet[self.integer(0, len(alphabet) - 1)] for _ in range(size))


def coin(c: Chooser) -> bool:
    return c.choice((False, True))

"""Deterministic aggregate ids, so a command never needs a lookup table."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import string
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid5

from domain.errors import InvalidCommand

# Fixed forever: changing it would orphan every stored stream.
NAMESPACE = UUID("5b0c8a52-3f4e-4d7a-9a55-2f1f6f0c6a11")
EXTERNAL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_external_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not EXTERNAL_ID.match(value):
        raise InvalidCommand(f"{what} must be 1-64 letters, digits, '-' or '_'")
    return value


def company_aggregate_id(company_id: str) -> UUID:
    return uuid5(NAMESPACE, f"company/{company_id}")


def customer_aggregate_id(company_id: str, customer_id: str) -> UUID:
    return uuid5(NAMESPACE, f"customer/{company_id}/{customer_id}")


# Ids cardledger makes are letters only: a digit run in an id could look like a
# card number to the API's guard (and to a log scanner), so none can occur.
_LETTERS = string.ascii_lowercase


def random_id(prefix: str, length: int = 26,
              below: Callable[[int], int] = secrets.randbelow) -> str:
    """26 letters carry 122 bits, as much randomness as a uuid4. One uniform
    draw below 26**length written in base 26: every string of letters is as
    likely as with a draw per letter, for one read of the OS's randomness
    instead of one per letter. ``below``: where the draw comes from."""
    number = below(26 ** length)
    letters = []
    for _ in range(length):
        number, digit = divmod(number, 26)
        letters.append(_LETTERS[digit])
    return prefix + "".join(letters)


def new_card_id() -> str:
    return random_id("card_")


def derived_id(prefix: str, text: str, length: int = 24) -> str:
    """The same text gives the same id, in every process, forever."""
    digest = hashlib.sha256(text.encode()).digest()
    return prefix + "".join(_LETTERS[byte % 26] for byte in digest[:length])


def request_hash(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]

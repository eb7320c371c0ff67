"""The personal-data port: how a customer's personal fields are kept so that
erasing the customer makes them unreadable (crypto-shredding, docs/erasure.md).

An event store is append-only, so erasure cannot remove a name from the
events. Instead every personal field is sealed (encrypted) under a key of the
customer's own before it enters an event, and erasure destroys that key: the
events, their chain links and every copy of them keep the ciphertext, which
nobody can read any more.

The domain decides *which* fields are personal and *when* to seal, reveal and
forget; how (AES-GCM, where the keys live) is an adapter's business
(cardledger/personal_data.py), injected by the composition root.
"""

from __future__ import annotations

from typing import Protocol

# The customer's personal fields, one list for every place that must treat
# them apart: sealing (domain/handlers.py), the evidence pack, the Kafka
# envelope (never published) and the docs. Card facts (brand, last4, expiry,
# funding, country) and the processor's ids are not in it: they are the
# payment record, kept for accounting and disputes after an erasure, and name
# nobody without the processor's own (erased) data. Actors are pseudonymous
# ids (customer:1001) that the company maps to a person in its own systems.
# ``error`` is ExpiryReminderFailed's mail-server answer, which may quote the
# customer's e-mail address.
PERSONAL_FIELDS = frozenset({"cardholder_name", "error"})

# Every sealed value starts with this; anything else is a value stored in the
# clear before sealing existed (docs/erasure.md: streams written before).
SEALED_PREFIX = "sealed:"


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(SEALED_PREFIX)


class PersonalData(Protocol):
    def seal(self, company_id: str, customer_id: str, field: str, value: str) -> str:
        """The value encrypted under the customer's key (created on first use).
        Raises CustomerErased once the customer's key was destroyed."""
        ...

    def reveal(self, company_id: str, customer_id: str, field: str,
               value: str | None) -> str | None:
        """The clear value, or None when it can no longer be read (the key was
        destroyed). A value stored before sealing existed is returned as it is
        while the customer's key lives."""
        ...

    def forget(self, company_id: str, customer_id: str) -> None:
        """Destroys the customer's key for good; idempotent."""
        ...


class NotKept:
    """Without an adapter, personal fields are not kept at all: the safe
    default for a ledger built outside the composition root (some tests)."""

    def seal(self, company_id: str, customer_id: str, field: str, value: str) -> str:
        return f"{SEALED_PREFIX}not-kept"

    def reveal(self, company_id: str, customer_id: str, field: str,
               value: str | None) -> str | None:
        return None

    def forget(self, company_id: str, customer_id: str) -> None:
        return None

"""Customers' personal fields sealed with AES-GCM under a key per customer,
the keys in a table of their own (``cl_data_keys``, migration 5), so that
destroying one key erases what every event and every copy of them holds
(crypto-shredding; domain/personal_data.py, docs/erasure.md).

Why the ``cryptography`` package's AESGCM: an authenticated cipher from a
maintained, audited library (the eventsourcing library's own cipher uses it
too), rather than anything written here. 256-bit keys, a random 96-bit nonce
per value, and the customer, field and key generation as associated data, so
a sealed value moved to another customer or field does not open.

A sealed value is ``sealed:v1:`` and the nonce and ciphertext in letters
(hex digits shifted to a-p, as the chain's digests are): a base64 or hex
blob holds digit runs that the card-number guard would take for card numbers
in logs and messages.

Keys are created on first use (two processes racing insert one row, both use
it) and destroyed by erasure: the row stays, without its key, as a tombstone,
so the customer never gets a new key and nothing is sealed for them again.
Keys are not cached in a process: an erasure in one process must hold in
every other at once, and the one indexed read costs about what a view read
does. Backups taken before an erasure still hold the key: they must age out
(docs/erasure.md).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.errors import CustomerErased
from domain.personal_data import SEALED_PREFIX, is_sealed
from projections.database import Database

FORMAT = "v1"
NONCE_BYTES = 12
_TO_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")
_FROM_LETTERS = str.maketrans("abcdefghijklmnop", "0123456789abcdef")


def _letters(data: bytes) -> str:
    return data.hex().translate(_TO_LETTERS)


def _bytes(letters: str) -> bytes:
    return bytes.fromhex(letters.translate(_FROM_LETTERS))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class SealedWithKeys:
    """The PersonalData port (domain/personal_data.py) over ``cl_data_keys``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def seal(self, company_id: str, customer_id: str, field: str, value: str) -> str:
        key = self._key(company_id, customer_id, create=True)
        if key is None:
            raise CustomerErased(f"Customer {customer_id} of company {company_id} was erased")
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, value.encode(),
                                     _context(company_id, customer_id, field))
        return f"{SEALED_PREFIX}{FORMAT}:{_letters(nonce + sealed)}"

    def reveal(self, company_id: str, customer_id: str, field: str,
               value: str | None) -> str | None:
        if value is None:
            return None
        key = self._key(company_id, customer_id, create=False)
        if not is_sealed(value):
            # Stored in the clear before sealing existed; gone with the customer.
            return None if self._destroyed(company_id, customer_id) else value
        if key is None:
            return None
        version, _, body = value[len(SEALED_PREFIX):].partition(":")
        if version != FORMAT:
            return None
        blob = _bytes(body)
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:],
                                   _context(company_id, customer_id, field)).decode()

    def forget(self, company_id: str, customer_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO cl_data_keys (company_id, customer_id, data_key, created_at, "
                "destroyed_at) VALUES (:co, :cu, NULL, :now, :now) "
                "ON CONFLICT (company_id, customer_id) DO UPDATE SET data_key = NULL, "
                "destroyed_at = COALESCE(cl_data_keys.destroyed_at, excluded.destroyed_at)",
                {"co": company_id, "cu": customer_id, "now": _now()})

    def _key(self, company_id: str, customer_id: str, *, create: bool) -> bytes | None:
        params = {"co": company_id, "cu": customer_id}
        rows = self.db.read("SELECT data_key, destroyed_at FROM cl_data_keys "
                            "WHERE company_id = :co AND customer_id = :cu", params)
        if not rows and create:
            with self.db.transaction() as tx:
                tx.execute("INSERT INTO cl_data_keys (company_id, customer_id, data_key, "
                           "created_at) VALUES (:co, :cu, :key, :now) "
                           "ON CONFLICT (company_id, customer_id) DO NOTHING",
                           {**params, "key": _letters(AESGCM.generate_key(bit_length=256)),
                            "now": _now()})
            rows = self.db.read("SELECT data_key, destroyed_at FROM cl_data_keys "
                                "WHERE company_id = :co AND customer_id = :cu", params)
        if not rows or rows[0]["data_key"] is None:
            return None
        return _bytes(rows[0]["data_key"])

    def _destroyed(self, company_id: str, customer_id: str) -> bool:
        rows = self.db.read("SELECT destroyed_at FROM cl_data_keys "
                            "WHERE company_id = :co AND customer_id = :cu",
                            {"co": company_id, "cu": customer_id})
        return bool(rows and rows[0]["destroyed_at"] is not None)


def _context(company_id: str, customer_id: str, field: str) -> bytes:
    # Associated data: a sealed value opens only for the customer and field it
    # was sealed for.
    return f"cardledger/{FORMAT}/{company_id}/{customer_id}/{field}".encode()

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

import logging
import os
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from domain.chain import in_letters
from domain.errors import CustomerErased
from domain.personal_data import SEALED_PREFIX, is_sealed
from projections.database import Database

log = logging.getLogger("cardledger.personal_data")

FORMAT = "v1"
WRAPPED = "w1:"  # a data key sealed under the wrapping secret
NONCE_BYTES = 12
_FROM_LETTERS = str.maketrans("abcdefghijklmnop", "0123456789abcdef")


def _from_letters(letters: str) -> bytes:
    """The inverse of domain/chain.py's in_letters (hex digits shifted to a-p)."""
    return bytes.fromhex(letters.translate(_FROM_LETTERS))


def _encrypt(key: bytes, data: bytes, context: bytes) -> str:
    """AES-GCM with a fresh nonce: nonce and ciphertext, in letters."""
    nonce = os.urandom(NONCE_BYTES)
    return in_letters(nonce + AESGCM(key).encrypt(nonce, data, context))


def _decrypt(key: bytes, letters: str, context: bytes) -> bytes:
    """What _encrypt sealed; InvalidTag when altered or opened in another context."""
    blob = _from_letters(letters)
    return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class KeyWrappingMismatch(RuntimeError):
    """A stored key is wrapped and no wrapping key is set, or the reverse."""


class SealedWithKeys:
    """The PersonalData port (domain/personal_data.py) over ``cl_data_keys``.

    With a wrapping secret, each data key is itself sealed (AES-GCM, the
    customer as associated data) under a key derived from the secret, which
    lives outside the database: a dump of the store alone opens nothing."""

    def __init__(self, db: Database, wrapping_secret: str = "") -> None:
        self.db = db
        self._wrapping = _derive(wrapping_secret) if wrapping_secret else None

    def seal(self, company_id: str, customer_id: str, field: str, value: str) -> str:
        key = self._key(company_id, customer_id)
        if key is None:
            raise CustomerErased.of(company_id, customer_id)
        sealed = _encrypt(key, value.encode(), _context(company_id, customer_id, field))
        return f"{SEALED_PREFIX}{FORMAT}:{sealed}"

    def reveal(self, company_id: str, customer_id: str, field: str,
               value: str | None) -> str | None:
        if value is None:
            return None
        row = self._row(company_id, customer_id)
        if not is_sealed(value):
            # Stored in the clear before sealing existed; gone with the customer.
            return None if row and row["destroyed_at"] is not None else value
        if row is None or row["data_key"] is None:
            return None
        key = self._unwrap(company_id, customer_id, row["data_key"])
        version, _, body = value[len(SEALED_PREFIX):].partition(":")
        if version != FORMAT:
            return None
        try:
            return _decrypt(key, body, _context(company_id, customer_id, field)).decode()
        except InvalidTag:
            # Edited, or copied from another customer or field: not shown. The
            # event's chain link says which (verify-chain).
            log.warning("a sealed %s of customer %s of company %s does not open: "
                        "altered or moved", field, customer_id, company_id)
            return None

    def forget(self, company_id: str, customer_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO cl_data_keys (company_id, customer_id, data_key, created_at, "
                "destroyed_at) VALUES (:co, :cu, NULL, :now, :now) "
                "ON CONFLICT (company_id, customer_id) DO UPDATE SET data_key = NULL, "
                "destroyed_at = COALESCE(cl_data_keys.destroyed_at, excluded.destroyed_at)",
                {"co": company_id, "cu": customer_id, "now": _now()})

    def _key(self, company_id: str, customer_id: str) -> bytes | None:
        """The customer's key, made on first use; None once destroyed."""
        row = self._row(company_id, customer_id) or self._create(company_id, customer_id)
        if row["data_key"] is None:
            return None
        return self._unwrap(company_id, customer_id, row["data_key"])

    def _row(self, company_id: str, customer_id: str) -> dict[str, str | None] | None:
        rows = self.db.read("SELECT data_key, destroyed_at FROM cl_data_keys "
                            "WHERE company_id = :co AND customer_id = :cu",
                            {"co": company_id, "cu": customer_id})
        return rows[0] if rows else None

    def _create(self, company_id: str, customer_id: str) -> dict[str, str | None]:
        """The customer's first key: one statement, which returns nothing when
        another process inserted the row first (that row is then read)."""
        params = {"co": company_id, "cu": customer_id}
        with self.db.transaction() as tx:
            if tx.postgres:
                # No flush of its own: the sealed value reaches the store only
                # in a later, durable commit of the events, and PostgreSQL's
                # log is flushed in order, so that commit makes this row
                # durable too. A crash before it loses a key nothing uses yet.
                tx.execute("SET LOCAL synchronous_commit TO OFF")
            created = tx.execute(
                "INSERT INTO cl_data_keys (company_id, customer_id, data_key, created_at) "
                "VALUES (:co, :cu, :key, :now) ON CONFLICT (company_id, customer_id) DO NOTHING "
                "RETURNING data_key, destroyed_at",
                {**params, "key": self._wrap(company_id, customer_id,
                                             AESGCM.generate_key(bit_length=256)),
                 "now": _now()}).all()
        row = created[0] if created else self._row(company_id, customer_id)
        assert row is not None  # inserted, by this process or the one that won the race
        return row

    def _wrap(self, company_id: str, customer_id: str, key: bytes) -> str:
        if self._wrapping is None:
            return in_letters(key)
        return WRAPPED + _encrypt(self._wrapping, key,
                                  _context(company_id, customer_id, "data_key"))

    def _unwrap(self, company_id: str, customer_id: str, stored: str) -> bytes:
        if not stored.startswith(WRAPPED):
            if self._wrapping is not None:
                raise KeyWrappingMismatch(
                    "a personal-data key is stored unwrapped but "
                    "CARDLEDGER_DATA_KEY_WRAPPING_KEY is set (docs/erasure.md)")
            return _from_letters(stored)
        if self._wrapping is None:
            raise KeyWrappingMismatch(
                "personal-data keys are wrapped: set CARDLEDGER_DATA_KEY_WRAPPING_KEY")
        return _decrypt(self._wrapping, stored[len(WRAPPED):],
                        _context(company_id, customer_id, "data_key"))



def _derive(secret: str) -> bytes:
    # HKDF, not a password hash: the setting is a random secret, not a password.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"cardledger/data-key-wrapping/v1").derive(secret.encode())


def _context(company_id: str, customer_id: str, field: str) -> bytes:
    # Associated data: a sealed value opens only for the customer and field it
    # was sealed for.
    return f"cardledger/{FORMAT}/{company_id}/{customer_id}/{field}".encode()

"""Signed checkpoints of the chain heads: one store-wide stream of them.

A checkpoint names, for every stream that changed since the previous one, its
version and link as of a position of the event log, and carries an HMAC
signature made with a key the database does not hold (cardledger/checkpoints.py
signs; projections/chain_check.py verifies). Checkpoints are events, so the
relay publishes them with the others: a copy exists outside the database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.chain import in_letters
from domain.ids import NAMESPACE
from domain.provenance import Provenance

CHECKPOINTS_ID: UUID = uuid5(NAMESPACE, "chain-checkpoints")
ALL_COMPANIES = "*"  # the envelope's company of a store-wide event


class Checkpoints(Aggregate):
    TOPIC = "cardledger/Checkpoints"

    class Event(Aggregate.Event):
        TOPIC = "cardledger/Checkpoints.Event"

    class Opened(Aggregate.Created):
        TOPIC = "cardledger/Checkpoints.Opened"
        class_version = 1
        company_id: str
        actor: str
        source: str

    class Signed(Event):
        TOPIC = "cardledger/Checkpoints.Signed"
        class_version = 1
        company_id: str  # ALL_COMPANIES
        actor: str
        source: str
        position: int  # the heads are those of the event log up to this notification id
        # [aggregate id, company id, customer id or None, version, link or None],
        # one per stream that changed since the previous checkpoint
        heads: list[list[Any]]
        previous: str | None  # the previous checkpoint's signature: none can be dropped
        key_id: str
        signature: str

        def apply(self, checkpoints: Checkpoints) -> None:
            checkpoints.position = self.position
            checkpoints.last_signature = self.signature

    @event(Opened)
    def __init__(self, company_id: str, actor: str, source: str) -> None:
        self.position = 0
        self.last_signature: str | None = None

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return CHECKPOINTS_ID

    @classmethod
    def open(cls, by: Provenance) -> Checkpoints:
        return cls(company_id=ALL_COMPANIES, actor=by.actor, source=by.source)

    def sign(self, position: int, heads: list[list[Any]], key_id: str, signature: str,
             by: Provenance) -> None:
        self.trigger_event(self.Signed, company_id=ALL_COMPANIES, actor=by.actor,
                           source=by.source, position=position, heads=heads,
                           previous=self.last_signature, key_id=key_id, signature=signature)


class CheckpointKey:
    """An HMAC-SHA256 key and its id (the id is stored, the secret never is)."""

    def __init__(self, key_id: str, secret: bytes) -> None:
        if not key_id or not secret:
            raise ValueError("a checkpoint key needs an id and a secret")
        self.key_id = key_id
        self._secret = secret

    def sign(self, position: int, heads: list[list[Any]], previous: str | None) -> str:
        payload = json.dumps({"position": position, "heads": heads, "previous": previous,
                              "key_id": self.key_id},
                             sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
        return in_letters(hmac.new(self._secret, payload, hashlib.sha256).digest())

    def verifies(self, checkpoint: Checkpoints.Signed) -> bool:
        expected = self.sign(checkpoint.position, checkpoint.heads, checkpoint.previous)
        return hmac.compare_digest(expected, checkpoint.signature)

    def __repr__(self) -> str:
        return f"CheckpointKey({self.key_id!r}, <secret>)"

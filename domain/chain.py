"""Hash-chain links: each stored event carries a digest over the previous
event's link and a canonical encoding of itself, so an edited, removed or
reordered event breaks its stream's chain (docs/audit.md).

The link covers what the store keeps of the event: its stream (originator
id), version, topic, class_version and every field, the timestamp included.
The encoding is computed the same way from the event about to be stored and
from the stored record read back (before any upcasting), so a later class
version that adds a field does not change the link of an event already stored.

Links alone prove nothing against someone who can rewrite a whole stream and
recompute them; signed checkpoints of the chain heads (cardledger/checkpoints.py)
pin them with a key the database does not hold.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

# Fields the store keeps outside the event's state, and the link itself.
NOT_ENCODED = frozenset({"originator_id", "originator_version", "chain_link", "class_version"})
GENESIS = "cardledger-chain/1"
# A digest is written in letters (hex digits shifted to a-p): a hex string
# holds digit runs that look like card numbers to a scanner, as ids would.
_AS_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def in_letters(digest: bytes) -> str:
    return digest.hex().translate(_AS_LETTERS)


def _plain(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no canonical form in a chain link")


def canonical(originator_id: UUID | str, version: int, topic: str, class_version: int,
              fields: Mapping[str, Any]) -> bytes:
    """One byte string per event content: sorted keys, no spaces, ASCII only."""
    body = {name: value for name, value in fields.items() if name not in NOT_ENCODED}
    return json.dumps(
        {"stream": str(originator_id), "version": version, "topic": topic,
         "class_version": class_version, "fields": body},
        sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=_plain).encode()


def start_of(originator_id: UUID | str) -> str:
    """The 'previous link' of a stream's first linked event: bound to the
    stream, so an event moved to another stream does not verify there."""
    return in_letters(hashlib.sha256(f"{GENESIS}:{originator_id}".encode()).digest())


def next_link(previous: str | None, originator_id: UUID | str, version: int, topic: str,
              class_version: int, fields: Mapping[str, Any]) -> str:
    """previous is None for a stream's first linked event: its very first
    event, or (a stream written before links existed) the marked start."""
    digest = hashlib.sha256()
    digest.update((previous or start_of(originator_id)).encode())
    digest.update(b"\n")
    digest.update(canonical(originator_id, version, topic, class_version, fields))
    return in_letters(digest.digest())


def link_for(event_class: type, previous: str | None, originator_id: UUID | str,
             version: int, kwargs: Mapping[str, Any]) -> str:
    """The link of the event ``event_class(**kwargs)`` is about to be: the
    given fields plus the class's defaults for those not given, as the mapper
    will store them."""
    fields = {f.name: kwargs[f.name] if f.name in kwargs else _default(f)
              for f in dataclasses.fields(event_class)  # type: ignore[arg-type]
              if f.name not in NOT_ENCODED}
    return next_link(previous, originator_id, version, event_class.TOPIC,  # type: ignore[attr-defined]
                     getattr(event_class, "class_version", 1), fields)


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    raise TypeError(f"field {field.name} was not given")


def unlinked(state: dict[str, Any]) -> None:
    """The upcaster of every event class's version that added ``chain_link``:
    an event stored before links existed has none (docs/audit.md)."""
    state["chain_link"] = None


class Chained:
    """Mixin for an aggregate whose events carry links. The link is computed
    here, once, for every event it triggers or creates; each event sets
    ``chain_head`` when it is applied (loading and deciding alike)."""

    chain_head: str | None = None

    def trigger_event(self, event_class: type, **kwargs: Any) -> None:
        if kwargs.get("timestamp") is None:
            kwargs["timestamp"] = event_class.create_timestamp()  # type: ignore[attr-defined]
        kwargs["chain_link"] = link_for(event_class, self.chain_head, self.id,  # type: ignore[attr-defined]
                                        self.version + 1, kwargs)  # type: ignore[attr-defined]
        super().trigger_event(event_class, **kwargs)  # type: ignore[misc]

    @classmethod
    def _create(cls, event_class: type, *, id: Any = None, **kwargs: Any) -> Any:  # noqa: A002
        originator_id = id if id is not None else cls.create_id(**kwargs)  # type: ignore[attr-defined]
        if kwargs.get("timestamp") is None:
            kwargs["timestamp"] = event_class.create_timestamp()  # type: ignore[attr-defined]
        fields = {**kwargs, "originator_topic": get_topic(cls)}
        kwargs["chain_link"] = link_for(event_class, None, originator_id,
                                        cls.INITIAL_VERSION, fields)  # type: ignore[attr-defined]
        return super()._create(event_class, id=originator_id, **kwargs)  # type: ignore[misc]


class LinkedEvent:
    """Mixin for the base event (and the created event) of a Chained
    aggregate: applying an event, when deciding or loading, moves the head.
    The event class declares the field ``chain_link: str | None`` itself."""

    def mutate(self, aggregate: Any) -> Any:
        aggregate = super().mutate(aggregate)  # type: ignore[misc]
        aggregate.chain_head = self.chain_link
        return aggregate

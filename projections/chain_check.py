"""The auditors' tamper check: every stream's hash chain, read from the
stored records themselves (never from the views, never upcast), and every
signed checkpoint (docs/audit.md).

One pass over the event log in store order, holding one (version, link) per
stream, after reading the checkpoint stream: what a checkpoint pins is
checked when the pass reaches that event. Problems come in log order, so the
first one names the first broken customer and version.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Mapper, StoredEvent

from domain.chain import next_link
from domain.checkpoints import CHECKPOINTS_ID, CheckpointKey, Checkpoints


@dataclass(frozen=True)
class ChainProblem:
    company_id: str
    customer_id: str | None  # None: the company's own stream, or a checkpoint
    version: int | None
    detail: str

    def __str__(self) -> str:
        if self.customer_id is not None:
            where = f"customer {self.customer_id} of company {self.company_id}"
        elif self.company_id:
            where = f"company {self.company_id}"
        else:
            where = "checkpoints"
        return f"{where}, version {self.version}: {self.detail}"


@dataclass
class ChainSummary:
    events: int = 0
    streams: int = 0
    linked: int = 0  # events that carry a link (the others predate links)
    checkpoints: int = 0
    checkpoint_position: int = 0  # the newest valid checkpoint's position
    pinned: int = 0  # stream heads the valid checkpoints pin, each checked


def raw_state(mapper: Mapper[Any], record: StoredEvent) -> dict[str, Any]:
    """The record's state as stored, before any upcaster fills a field in."""
    data = record.state
    if mapper.cipher:
        data = mapper.cipher.decrypt(data)
    if mapper.compressor:
        data = mapper.compressor.decompress(data)
    return mapper.transcoder.decode(data)


def records(app: Application[Any], start: int = 0, page: int = 1000) -> Iterator[Any]:
    """Every notification after ``start``, in store order, a page at a time."""
    while True:
        batch = app.recorder.select_notifications(start=start, limit=page,
                                                  inclusive_of_start=False)
        if not batch:
            return
        yield from batch
        start = batch[-1].id


@dataclass
class _Stream:
    company_id: str
    customer_id: str | None
    version: int = 0
    link: str | None = None  # the last link seen (None until the first linked event)


def check_chains(app: Application[Any], keys: Mapping[str, CheckpointKey] | None, *,
                 summary: ChainSummary | None = None) -> list[ChainProblem]:
    """Every break in every chain and every refused checkpoint; [] if none.
    ``keys=None``: the links only (a verifier without the checkpoint key)."""
    summary = summary if summary is not None else ChainSummary()
    problems: list[ChainProblem] = []
    pins = _valid_pins(app, keys, problems, summary) if keys is not None else {}
    streams: dict[Any, _Stream] = {}
    for record in records(app):
        if record.originator_id == CHECKPOINTS_ID:
            continue
        state = raw_state(app.mapper, record)
        stream = streams.get(record.originator_id)
        if stream is None:
            stream = streams[record.originator_id] = _Stream(
                state.get("company_id", ""), state.get("customer_id"))
        summary.events += 1
        summary.linked += state.get("chain_link") is not None
        problems += _check_record(record, state, stream, pins)
    summary.streams = len(streams)
    for (stream_id, version), (link, number) in sorted(pins.items(), key=lambda p: p[1][1]):
        known = streams.get(stream_id)
        problems.append(ChainProblem(
            known.company_id if known else "", known.customer_id if known else None, version,
            f"checkpoint {number} pins this version (link {link}) but the store has no such "
            f"event: events were removed"))
    return problems


def stream_links(app: Application[Any], originator_id: UUID,
                 ) -> tuple[list[tuple[int, str | None]], list[ChainProblem]]:
    """One stream's (version, stored link) pairs and the breaks in its chain,
    from the stored records (checkpoints not consulted): for evidence packs."""
    links: list[tuple[int, str | None]] = []
    problems: list[ChainProblem] = []
    stream: _Stream | None = None
    for record in app.recorder.select_events(originator_id):
        state = raw_state(app.mapper, record)
        stream = stream or _Stream(state.get("company_id", ""), state.get("customer_id"))
        problems += _check_record(record, state, stream, {})
        links.append((record.originator_version, state.get("chain_link")))
    return links, problems


def _check_record(record: Any, state: dict[str, Any], stream: _Stream,
                  pins: dict[tuple[Any, int], tuple[str | None, int]]) -> list[ChainProblem]:
    found: list[ChainProblem] = []

    def problem(detail: str) -> None:
        found.append(ChainProblem(stream.company_id, stream.customer_id,
                                  record.originator_version, detail))

    if record.originator_version != stream.version + 1:
        problem(f"follows version {stream.version}: "
                f"{'events are missing' if record.originator_version > stream.version else 'out of order'}")
    link = state.get("chain_link")
    if link is None:
        if stream.link is not None:
            problem("carries no link though the events before it do: its link was removed")
    else:
        expected = next_link(stream.link, record.originator_id, record.originator_version,
                             record.topic, state.get("class_version", 1), state)
        if link != expected:
            problem("its content does not match its link: the stored event was changed")
    pinned = pins.pop((record.originator_id, record.originator_version), None)
    if pinned is not None and pinned[0] != link:
        problem(f"its link differs from the one signed in checkpoint {pinned[1]}: "
                f"the stream was rewritten")
    stream.version = record.originator_version
    stream.link = link if link is not None else stream.link
    return found


def _valid_pins(app: Application[Any], keys: Mapping[str, CheckpointKey],
                problems: list[ChainProblem], summary: ChainSummary,
                ) -> dict[tuple[Any, int], tuple[str | None, int]]:
    """(stream id, version) -> (link, checkpoint number) from every checkpoint
    whose signature verifies; a checkpoint that does not is refused."""
    pins: dict[tuple[Any, int], tuple[str | None, int]] = {}
    previous: str | None = None
    for stored in app.recorder.select_events(CHECKPOINTS_ID):
        checkpoint = app.mapper.to_domain_event(stored)
        if not isinstance(checkpoint, Checkpoints.Signed):
            continue
        number = checkpoint.originator_version
        summary.checkpoints += 1
        refused = checkpoint_refusal(checkpoint, keys, previous)
        previous = checkpoint.signature
        if refused:
            problems.append(ChainProblem("", None, number, f"checkpoint refused: {refused}"))
            continue
        summary.checkpoint_position = max(summary.checkpoint_position, checkpoint.position)
        for stream_id, _company, _customer, version, link in checkpoint.heads:
            pins[(UUID(stream_id), version)] = (link, number)
    summary.pinned = len(pins)
    return pins


def checkpoint_refusal(checkpoint: Checkpoints.Signed, keys: Mapping[str, CheckpointKey],
             previous: str | None) -> str | None:
    key = keys.get(checkpoint.key_id)
    if key is None:
        return f"signed with key {checkpoint.key_id!r}, which this verifier does not hold"
    if not key.verifies(checkpoint):
        return "its signature does not match its content"
    if checkpoint.previous != previous:
        return "it does not follow the checkpoint before it (one was removed or replayed)"
    return None

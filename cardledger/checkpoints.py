"""Making signed checkpoints of the chain heads (`cardledger checkpoint`), and
the keys from the settings. Run it often (cron, every minute): events after
the newest checkpoint are covered by their links only (docs/audit.md)."""

from __future__ import annotations

from typing import Any

from eventsourcing.application import AggregateNotFoundError, Application

from cardledger.settings import Settings
from domain.checkpoints import CHECKPOINTS_ID, CheckpointKey, Checkpoints
from domain.provenance import Provenance
from domain.retry import retry_on_conflict
from projections.chain_check import raw_state, records

CHECKPOINTER = Provenance("system:checkpointer", "admin")
# Heads per checkpoint at most, so one event stays far below Kafka's 1 MB
# message limit (a head is about 150 bytes); a backlog becomes several.
MAX_HEADS = 5_000


class NoCheckpointKey(ValueError):
    """CARDLEDGER_CHAIN_KEY is not set."""


def signing_key(settings: Settings) -> CheckpointKey:
    secret = settings.chain_key.get_secret_value()
    if not secret:
        raise NoCheckpointKey("CARDLEDGER_CHAIN_KEY is not set: checkpoints cannot be signed")
    return CheckpointKey(settings.chain_key_id, secret.encode())


def verifying_keys(settings: Settings) -> dict[str, CheckpointKey]:
    """The signing key and the retired ones ("id=secret,id=secret"), by id."""
    keys: dict[str, CheckpointKey] = {}
    for entry in settings.chain_retired_keys.get_secret_value().split(","):
        if entry.strip():
            key_id, _, secret = entry.strip().partition("=")
            keys[key_id] = CheckpointKey(key_id, secret.encode())
    if settings.chain_key.get_secret_value():
        key = signing_key(settings)
        keys[key.key_id] = key
    return keys


def make_checkpoints(app: Application[Any], key: CheckpointKey,
                     by: Provenance = CHECKPOINTER) -> list[Checkpoints.Signed]:
    """Signs the heads of every stream that changed since the last checkpoint,
    up to the end of the log; nothing when nothing changed."""
    made: list[Checkpoints.Signed] = []
    while (signed := retry_on_conflict(lambda: _one(app, key, by))) is not None:
        made.append(signed)
    return made


def _one(app: Application[Any], key: CheckpointKey,
         by: Provenance) -> Checkpoints.Signed | None:
    try:
        checkpoints: Checkpoints = app.repository.get(CHECKPOINTS_ID)
    except AggregateNotFoundError:
        checkpoints = Checkpoints.open(by)
    heads: dict[Any, list[Any]] = {}
    position = checkpoints.position
    for record in records(app, start=checkpoints.position):
        if record.originator_id == CHECKPOINTS_ID:
            continue
        if len(heads) >= MAX_HEADS and record.originator_id not in heads:
            break
        state = raw_state(app.mapper, record)
        heads[record.originator_id] = [str(record.originator_id), state.get("company_id"),
                                       state.get("customer_id"), record.originator_version,
                                       state.get("chain_link")]
        position = record.id
    if not heads:
        return None
    listed = list(heads.values())
    checkpoints.sign(position, listed, key.key_id,
                     key.sign(position, listed, checkpoints.last_signature), by)
    recordings = app.save(checkpoints)
    return recordings[-1].domain_event  # type: ignore[return-value]

"""What every command route shares: Idempotency-Key, If-Match, read-your-writes.

- ``IdempotencyKeyHeader`` goes straight to the domain command. The aggregate
  remembers keys on its events, so a retry returns the first outcome
  (``Outcome.replayed``) in any process, after any restart. The header is
  optional: without it a command runs every time it is sent.
- ``IfMatchHeader`` + ``expected_version``: the customer version the caller
  read (as in the ETag of a list answer); a stale one is a 409.
- ``settle``: before answering, wait until the views include the command, so
  the caller's next read shows it, in this process or any other. The request
  wakes the projector and waits for its signal (projections/runner.py); it
  never polls the views or applies them itself.
- ``outcome_headers``: ETag (the version after the command), the command's
  ``Cardledger-Position`` and ``Idempotent-Replayed: true`` on a replay.
- ``MinPositionHeader``: a read that must include a position another process
  answered with waits for the views to reach it.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated

from fastapi import Header

from api.problems import Problem
from cardledger.wiring import Runtime
from domain.service import Outcome

log = logging.getLogger("cardledger.api")

IdempotencyKeyHeader = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[!-~]+$",
    description="Makes a retry safe: the same key with the same request returns the first "
                "answer without changing anything again; with a different request it is a 422. "
                "Optional: without it the command runs every time.",
    examples=["add-card-3f9c2b7e-a1"])]

IfMatchHeader = Annotated[str | None, Header(
    alias="If-Match",
    description="The customer version the caller read (the ETag of the list); the command "
                "fails with 409 if the customer changed since. Without it, lost races are "
                "retried by the server.",
    examples=['"7"'])]

POSITION_HEADER = "Cardledger-Position"

MinPositionHeader = Annotated[int | None, Header(
    alias="Cardledger-Min-Position", ge=0,
    description="Answer from views that include at least this event-log position (a "
                "command's Cardledger-Position), waiting for them up to the read-your-writes "
                "timeout. For readers in another process than the one that took the command.",
    examples=[1042])]

_VERSION = re.compile(r'^(?:W/)?"?(\d{1,18})"?$')


def expected_version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    match = _VERSION.match(if_match.strip())
    if match is None:
        raise Problem(422, "invalid-if-match", "If-Match must be a version",
                      'Send the version you read, e.g. If-Match: "7"')
    return int(match.group(1))


def settle(runtime: Runtime, outcome: Outcome) -> int | None:
    """Read-your-writes: wait for the views to include the command; returns the
    position waited for. A replay appended nothing, so wait for whatever is
    stored now (the first attempt's events may still be on their way)."""
    position = outcome.position
    if outcome.replayed:
        position = runtime.ledger.recorder.max_notification_id()
    wait_for_views(runtime, position)
    return position


def wait_for_views(runtime: Runtime, position: int | None) -> None:
    # Wait for the projector's word (this process's thread, or another process's
    # via LISTEN). Only an in-process setup whose thread is not running (tests,
    # embedded tools) applies the batch in the request instead.
    help_out = runtime.settings.projections == "inprocess"
    if not runtime.projector.wait_for(position, runtime.settings.read_your_writes_timeout,
                                      help_out=help_out):
        # The change is stored; only the views lag. Answer anyway, and say so.
        log.warning("views did not reach position %s within %ss", position,
                    runtime.settings.read_your_writes_timeout)


def outcome_headers(outcome: Outcome, position: int | None) -> dict[str, str]:
    """ETag (the version after the command), Cardledger-Position (the event
    log position a reader elsewhere can ask for with Cardledger-Min-Position)
    and, on a replay, Idempotent-Replayed."""
    headers = {"ETag": f'"{outcome.version}"'}
    if position is not None:
        headers[POSITION_HEADER] = str(position)
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return headers

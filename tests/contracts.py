"""The published event contract (contracts/events/*.schema.json) as a test helper."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from consumers.envelope import Envelope

EVENTS = Path(__file__).resolve().parent.parent / "contracts" / "events"


@cache
def validator(message_type: str) -> Draft202012Validator:
    schema = json.loads((EVENTS / f"{message_type}.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def contract_errors(envelope: Envelope) -> list[str]:
    """Why the envelope, as it goes on the wire, breaks its type's schema ([] when it does not)."""
    wire: dict[str, Any] = json.loads(envelope.to_bytes())
    if not (EVENTS / f"{envelope.type}.schema.json").exists():
        return [f"no schema for {envelope.type}"]
    return [f"{envelope.type}: {'/'.join(map(str, e.path))}: {e.message}"
            for e in validator(envelope.type).iter_errors(wire)]

"""Who did a change and from where: recorded on every event."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import InvalidCommand

SOURCES = ("portal", "office", "processor", "api", "admin", "scheduler")
ACTOR = re.compile(r"^(customer|user|system):[A-Za-z0-9_.@-]{1,64}$")


@dataclass(frozen=True)
class Provenance:
    actor: str  # e.g. customer:1001, user:jdoe, system:processor
    source: str  # one of SOURCES

    def __post_init__(self) -> None:
        if not isinstance(self.actor, str) or not ACTOR.match(self.actor):
            raise InvalidCommand("actor must look like customer:<id>, user:<id> or system:<name>")
        if self.source not in SOURCES:
            raise InvalidCommand(f"source must be one of {', '.join(SOURCES)}")

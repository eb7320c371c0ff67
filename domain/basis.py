"""What one attempt of a command decided on: the version of each stream it
read, and whether any of it came from this process's memory.

A command may decide on what this process kept from its own last save (the
customer, domain/customer_cache.py; the company's switch, domain/switches.py)
instead of reading the store first: one round trip less, two for adding a
card. That is safe because nothing is trusted without a check:

- an append is made on condition that every stream in the basis is still at
  the version read (``expected_versions``, checked by the store inside the
  append's transaction: storage/expected_versions.py); a stream that moved
  fails the append as a conflict, and the command runs again on what the
  store holds;
- an answer that appends nothing (a refusal, or a command that changed
  nothing) is given only once the streams read from memory are confirmed by
  a read of the store; otherwise the command runs again on the store's state.

The first attempt of a command may use memory; every retry reads the store.
"""

from __future__ import annotations

from uuid import UUID

# The recorder's keyword for an append's basis (storage/expected_versions.py).
EXPECTED_VERSIONS = "expected_versions"


class Basis:
    def __init__(self, *, may_remember: bool) -> None:
        self.may_remember = may_remember  # this attempt may decide on kept state
        self.versions: dict[UUID, int] = {}  # stream -> version it was read at
        self.from_memory: set[UUID] = set()  # the streams read from memory, not the store
        self.kept_customer: UUID | None = None  # the customer decided on as kept, if so

    def read(self, stream_id: UUID, version: int, *, remembered: bool = False) -> None:
        self.versions[stream_id] = version
        if remembered:
            self.from_memory.add(stream_id)

"""The customers this process saved last, so the next command on one of them
reads only what was appended since, not the whole stream.

A command *takes* its customer out of the cache, so the aggregate it decides on
belongs to it alone, and the cache gets a copy back only after the save
succeeded: a command that fails, or whose save loses a race, leaves nothing
behind that it may have half-changed. A customer two commands work on at once
in one process is simply a miss for the second (it loads from the store, and
the version check at the save decides between them).

A command's first attempt decides on the taken customer as kept, without
reading the store: its append is made on condition that the customer's stream
is still at the kept version, and an answer that appends nothing is confirmed
by a read first (domain/basis.py), so a change another process saved is
always seen before anything is decided for good. Retries, and processes whose
store cannot check an append's condition, bring the taken customer up to date
from the store instead (events after the cached version, usually none): the
library's own "fast-forward" (``AGGREGATE_CACHE_FASTFORWARD``) without its
deep copy on every read and its runtime protocol check on every event, which
cost 60 µs and most of a reload's CPU.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.application import LRUCache

log = logging.getLogger("cardledger.service")

# The share of kept copies found behind the store (a moving average over about
# the last 1/STALE_WEIGHT hits) above which commands read the store first.
STALE_WEIGHT = 1 / 32
STALE_LIMIT = 0.1


def fold(aggregate: Any, events: Iterable[Any]) -> Any:
    """Applies each event to the aggregate (None before the first), as the
    library's ``project_aggregate`` does, minus its per-event
    ``isinstance(event, CanMutateProtocol)`` assertion: every event here is an
    Aggregate.Event, and that runtime protocol check was 8% of a command's CPU."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class CustomerCache:
    """At most ``maxsize`` customers, least recently saved evicted first;
    ``maxsize`` 0 turns the cache off."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        # The library's own LRU, as its aggregate cache uses (its size must be
        # at least 1; with maxsize 0 take and keep never touch it).
        self._kept: LRUCache[Any, Any] = LRUCache(max(maxsize, 1))
        self._shared: LRUCache[Any, bool] = LRUCache(max(maxsize, 1))  # written elsewhere too
        self._counting = threading.Lock()  # hits and misses stay exact across threads
        self.hits = 0
        self.misses = 0
        self.behind_rate = 0.0  # of kept copies found behind the store, recent ones weigh most
        # Told each kept copy's check: (current|behind, on_copy|after_read); the
        # composition root's metric (cardledger_kept_customers_total).
        self.counted: Callable[[str, str], None] | None = None

    def take(self, aggregate_id: Any) -> Any | None:
        """The cached customer, now the caller's alone; None on a miss."""
        if not self.maxsize:
            return None
        customer = _evicted(self._kept, aggregate_id)
        with self._counting:
            if customer is None:
                self.misses += 1
            else:
                self.hits += 1
        return customer

    def keep(self, customer: Any) -> None:
        """A copy of the customer as just saved: the caller goes on using its
        own (to build the answer) while the next command changes the copy.
        See ``copy_of_state`` for why one level deep is a whole copy."""
        if not self.maxsize:
            return
        try:
            kept = copy_of_state(customer)
        except NotCopyable:
            # The command is saved: a customer that cannot be copied only makes
            # the next command load from the store; it must never fail this one.
            log.exception("customer %s could not be kept in the cache", customer.id)
            return
        self._kept.put(customer.id, kept)

    def discard(self, aggregate_id: Any) -> None:
        """Drops the kept copy: the customer was saved some other way (an
        invoice payment, autopay), so the copy is behind the store."""
        _evicted(self._kept, aggregate_id)

    def mark_shared(self, aggregate_id: Any) -> None:
        """Another process wrote this customer after this one kept it: from
        now on its commands here read the store before deciding (the
        fast-forward read) instead of deciding on the copy and losing the
        append's check, which costs a refused append with the store's lock
        held. A portal whose requests land on any API worker makes such
        customers; the ones a worker has to itself keep the saving."""
        self._shared.put(aggregate_id, True)

    def observed(self, *, behind: bool, on_copy: bool) -> None:
        """Whether a kept copy turned out behind the store: told by the
        append's check or the confirming read (``on_copy``: the command had
        decided on it), or by the fast-forward read (events came back)."""
        self.behind_rate += STALE_WEIGHT * ((1.0 if behind else 0.0) - self.behind_rate)
        if self.counted is not None:
            self.counted("behind" if behind else "current", "on_copy" if on_copy else "after_read")

    def worth_deciding_on(self, aggregate_id: Any) -> bool:
        """Whether a command may decide on this kept copy without reading the
        store first (domain/basis.py): not for a customer another process
        writes too, nor while this process's kept copies are often behind
        (requests reach the API workers at random, so each worker's copy of
        a customer is often stale). A copy found behind costs a refused
        append, with the store's lock held, and a reload; reading first costs
        one round trip. Reading first still tells, on every hit, whether the
        copy was current, so the rate follows the traffic either way."""
        return self.behind_rate < STALE_LIMIT and aggregate_id not in self._shared.cache

    def __len__(self) -> int:
        return len(self._kept.cache)


def _evicted(cache: LRUCache[Any, Any], key: Any) -> Any | None:
    """Takes ``key``'s value out of the cache; None if it held none."""
    try:
        return cache.get(key, evict=True)
    except KeyError:
        return None


class NotCopyable(TypeError):
    """A customer holds a value ``copy_of_state`` cannot share safely."""


_IMMUTABLE: set[type] = {str, int, float, bool, bytes, type(None), datetime, date, Decimal, UUID,
                         tuple, frozenset}
_CONTAINERS = (dict, list, set)


def copy_of_state(customer: Any) -> Any:
    """The customer, copied one level deep: its own attributes and each of
    its containers (cards, receipts, payments, autopay charges) are new, and
    the values inside them shared.

    That is a whole copy because an aggregate's state changes only by
    replacing values: every event's ``apply`` puts a new frozen value
    (``SavedCard``, ``Payment``, an autopay charge, a receipt's list) into a
    container or deletes one, never changes a value in place
    (tests/test_customer_cache.py walks a customer through every kind of
    event to hold this). It costs a few dict copies in C, where the pickle
    round trip it replaces cost a tenth of an API worker's busy time at one
    client, growing with a customer's receipts. An attribute of a kind not
    known to be immutable raises NotCopyable, rather than being shared."""
    state = {}
    for name, value in customer.__dict__.items():
        kind = type(value)
        if kind in _CONTAINERS:
            value = value.copy()
        elif kind not in _IMMUTABLE:
            if not (dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen):  # type: ignore[attr-defined]
                raise NotCopyable(f"{name} is a {kind.__name__}")
            _IMMUTABLE.add(kind)
        state[name] = value
    kept = object.__new__(type(customer))
    kept.__dict__.update(state)
    return kept

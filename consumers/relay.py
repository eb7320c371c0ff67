"""The relay: publishes every stored event to Kafka, in store order.

It lives in ``consumers/`` because, like the consumers, it is an adapter
between cardledger's event store and Kafka; the domain and the command path
never touch Kafka, so commands keep succeeding while the broker is down.

The relay pulls the notification log from its own position (the row
``relay:<name>`` of ``cl_tracking``, beside the events and the views' own;
projections/log_follower.py), sends a batch with an idempotent,
``acks=all`` producer, waits until the broker acknowledged every message of the
batch, and only then advances the position. A crash anywhere before that means
the batch is sent again, never lost; consumers drop the repeats by event id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application
from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError

from consumers.envelope import envelope_of
from consumers.topics import ensure_topics  # noqa: F401 (where callers found it)
from projections import log_follower
from projections.database import Database
from projections.log_follower import Loop, Positions, read_page, relay_position_name

log = logging.getLogger("cardledger.relay")

NAME = "kafka-relay"


position_name = relay_position_name  # the relay's row in the followers' position table


class RelayTracking:
    """The relay's position: the notification id of the last acknowledged event."""

    def __init__(self, db: Database, name: str = NAME) -> None:
        self.positions = Positions(db)
        self.name = position_name(name)
        self.positions.ensure(self.name)

    def position(self) -> int:
        return self.positions.read(self.name)

    def advance(self, expected: int, new: int) -> bool:
        """Compare-and-set, so two relays by mistake cannot move it backwards."""
        return self.positions.advance(self.name, expected, new)


@dataclass(frozen=True)
class Lag:
    position: int  # last notification id the broker acknowledged
    head: int  # newest notification id in the store
    behind: int  # head - position: events not yet on Kafka (at most; ids can have gaps)

    def as_dict(self) -> dict[str, int]:
        return {"position": self.position, "head": self.head, "behind": self.behind}


def relay_position(db: Database, name: str = NAME) -> int:
    """The relay's position, read only (0 for a name that never relayed)."""
    return Positions(db).read(position_name(name))


def _lag(app: Application[Any], position: int) -> Lag:
    head = app.recorder.max_notification_id() or 0
    return Lag(position, head, max(0, head - position))


def relay_lag(app: Application[Any], name: str = NAME) -> Lag:
    """How far the relay is behind the store; read only, cheap enough for a
    health endpoint or a metrics scrape."""
    return _lag(app, relay_position(Database(app), name))


def kafka_producer(bootstrap: str, *, ack_timeout: float = 10.0,
                   client_id: str = "cardledger-relay") -> KafkaProducer:
    """Idempotent, acks=all, and every wait bounded by ack_timeout, so a dead
    broker shows up as an error the relay can back off from, not a hang."""
    timeout_ms = int(ack_timeout * 1000)
    return KafkaProducer(
        bootstrap_servers=bootstrap.split(","),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        request_timeout_ms=timeout_ms // 2,  # delivery timeout must exceed linger + request
        delivery_timeout_ms=timeout_ms,
        max_block_ms=timeout_ms,
        reconnect_backoff_max_ms=1000,
    )


def _abandon(producer: KafkaProducer) -> None:
    """Closes a producer whose records will never be acknowledged. kafka-python
    has no public abort: its sender's force_close fails every incomplete batch
    as the network thread ends, after which close() has nothing to wait for."""
    sender = producer._sender  # noqa: SLF001 (the library's own force-close path)
    sender.force_close()
    sender.join(timeout=5)
    try:
        producer.close(timeout=0)
    except Exception:  # noqa: BLE001 (already failing; the original error matters)
        log.warning("a failed Kafka producer did not close", exc_info=True)


class Relay:
    def __init__(
        self,
        app: Application[Any],
        producer_factory: Callable[[], KafkaProducer],
        topic: str,
        *,
        name: str = NAME,
        batch_size: int = 500,
        ack_timeout: float = 10.0,
        max_backoff: float = 30.0,
        poll_interval: float = 0.1,
        after_ack: Callable[[int], None] | None = None,
    ) -> None:
        self.app = app
        self.topic = topic
        self.tracking = RelayTracking(Database(app), name)
        self.batch_size = batch_size
        self.ack_timeout = ack_timeout
        # Called after the broker acknowledged a batch and before the position
        # moves: the one place where a crash means re-sending (tests crash here).
        self.after_ack = after_ack
        self.sent = 0  # events acknowledged by the broker since start (repeats included)
        self.failed_batches = 0  # batches that failed and will be sent again
        self._producer_factory = producer_factory
        self._producer: KafkaProducer | None = None
        self._loop = Loop("kafka relay", self.catch_up, idle_wait=poll_interval,
                          max_backoff=max_backoff)

    # --- one step ----------------------------------------------------------------------

    def run_once(self) -> int:
        """Publish the next batch; the number of events published (0 when current)."""
        position = self.tracking.position()
        log_follower.position.set(position)  # this thread's log lines say where the relay is
        notifications = read_page(self.app, position, self.batch_size)
        if not notifications:
            return 0
        try:
            self._publish(notifications)
        except BaseException:
            self.failed_batches += 1
            self._drop_producer()  # a fresh producer (and producer id) for the retry
            raise
        last = notifications[-1].id
        if self.after_ack is not None:
            self.after_ack(last)
        if not self.tracking.advance(position, last):
            log.warning("another relay moved the position past %d; its batch repeats ours",
                        position)
        self.sent += len(notifications)
        return len(notifications)

    def _publish(self, notifications: list[Any]) -> None:
        producer = self._producer or self._producer_factory()
        self._producer = producer
        futures = []
        for n in notifications:
            envelope = envelope_of(self.app.mapper.to_domain_event(n), n.topic, n.id)
            futures.append(producer.send(self.topic, key=envelope.key,
                                         value=envelope.to_bytes(), headers=envelope.headers))
        producer.flush(timeout=self.ack_timeout + 1)
        for future in futures:
            future.get(timeout=0)  # raises the broker's error for any unacknowledged message

    def _drop_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is None:
            return
        try:
            producer.close(timeout=0)
        except KafkaTimeoutError:
            # close() flushes before it stops anything, and a failed batch's
            # records never complete (the broker is gone), so it gives up
            # half-way: the producer's network thread and sockets would live on
            # after each failed batch, and the garbage collector's own close
            # would raise later. Stop the thread without the records, then close.
            _abandon(producer)
        except Exception:  # noqa: BLE001 (already failing; the original error matters)
            log.debug("closing the failed producer", exc_info=True)

    def catch_up(self) -> int:
        total = 0
        while count := self.run_once():
            total += count
        return total

    def lag(self) -> Lag:
        return _lag(self.app, self.tracking.position())

    # --- the loop ------------------------------------------------------------------------

    def run_forever(self) -> None:
        try:
            self._loop.run_forever()
        finally:
            self._drop_producer()

    def start(self) -> None:
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop()

    def close(self) -> None:
        self.stop()
        self._drop_producer()


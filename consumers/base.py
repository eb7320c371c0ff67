"""A reusable Kafka consumer for office systems.

At-least-once delivery made effectively-once: offsets are committed by hand
only after the handler finished (or the message was parked), and the handler
drops events whose id it has already processed, recording that id together
with its own state. Messages of one partition, hence of one customer, are
handled one at a time in order.

A poison message (not an envelope, or one the handler fails on
``max_attempts`` times in a row) is logged, copied to the dead-letter topic
with the reason in its headers, and then committed, so one bad message never
blocks its partition forever.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import CommitFailedError
from kafka.structs import OffsetAndMetadata

from consumers.envelope import BadEnvelope, Envelope
from projections.log_follower import Loop

log = logging.getLogger("cardledger.consumers")


class Handler(Protocol):
    name: str

    def seen(self, event_id: str) -> bool:
        """True when this event already changed the handler's state."""

    def handle(self, envelope: Envelope) -> None:
        """Apply the event and record its id in one transaction; raise to retry."""


@dataclass
class Stats:
    handled: int = 0
    duplicates: int = 0
    parked: int = 0


Offsets = dict[TopicPartition, OffsetAndMetadata]


class OfficeConsumer:
    def __init__(
        self,
        handler: Handler,
        *,
        bootstrap: str,
        topic: str,
        group: str,
        dead_letter_topic: str,
        max_attempts: int = 3,
        retry_delay: float = 0.2,
        poll_timeout: float = 0.5,
        before_commit: Callable[[Offsets], None] | None = None,
    ) -> None:
        self.handler = handler
        self.topic = topic
        self.group = group
        self.dead_letter_topic = dead_letter_topic
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.poll_timeout = poll_timeout
        # Runs after handling and before the offsets are committed: where a
        # crash means re-delivery (tests crash here).
        self.before_commit = before_commit
        self.stats = Stats()
        self._bootstrap = bootstrap.split(",")
        self._consumer = KafkaConsumer(
            topic,
            bootstrap_servers=self._bootstrap,
            group_id=group,
            client_id=f"{group}-{handler.name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=500,
        )
        self._parking: KafkaProducer | None = None
        # poll() itself waits for messages, so no idle wait on top.
        self._loop = Loop(handler.name, self.run_once)

    # --- one poll --------------------------------------------------------------------

    def run_once(self) -> int:
        """Handle what one poll returns and commit it; the number of messages."""
        batches = self._consumer.poll(timeout_ms=int(self.poll_timeout * 1000))
        offsets: Offsets = {}
        for partition, messages in batches.items():
            for message in messages:
                try:
                    self._process(message)
                except BaseException:
                    self._rewind(batches, offsets)
                    raise
                offsets[partition] = OffsetAndMetadata(message.offset + 1, "", -1)
        if offsets:
            if self.before_commit is not None:
                self.before_commit(offsets)
            try:
                self._consumer.commit(offsets)
            except CommitFailedError as e:
                # The group rebalanced; the new owner gets these again and drops them by id.
                log.warning("%s: commit failed, messages will be re-delivered: %s",
                            self.handler.name, e)
        return sum(len(m) for m in batches.values())

    def _rewind(self, batches: dict[TopicPartition, list[Any]], done: Offsets) -> None:
        # The consumer's fetch position is already past this poll; without a
        # seek back, the next poll would skip the messages we did not finish.
        for partition, messages in batches.items():
            self._consumer.seek(partition, done[partition].offset if partition in done
                                else messages[0].offset)

    def _process(self, message: Any) -> None:
        try:
            envelope = Envelope.from_bytes(message.value)
        except BadEnvelope as e:
            self._park(message, f"undecodable: {e}")
            return
        if self.handler.seen(envelope.event_id):
            self.stats.duplicates += 1
            return
        for attempt in range(1, self.max_attempts + 1):
            try:
                self.handler.handle(envelope)
            except Exception as e:  # noqa: BLE001 (any handler failure is retried, then parked)
                log.warning("%s: event %s at position %s failed (attempt %d of %d): %r",
                            self.handler.name, envelope.event_id, envelope.position,
                            attempt, self.max_attempts, e)
                if attempt == self.max_attempts:
                    self._park(message, f"handler failed {attempt} times: {e!r}")
                    return
                time.sleep(self.retry_delay * attempt)
            else:
                self.stats.handled += 1
                return

    def _park(self, message: Any, reason: str) -> None:
        """Copy to the dead-letter topic and wait for the ack; raising here
        leaves the offset uncommitted, so nothing is dropped unparked."""
        log.error("%s: parking %s[%d]@%d on %s: %s", self.handler.name, message.topic,
                  message.partition, message.offset, self.dead_letter_topic, reason)
        if self._parking is None:
            self._parking = KafkaProducer(bootstrap_servers=self._bootstrap, acks="all",
                                          client_id=f"{self.group}-dead-letter")
        headers = [*(message.headers or []),
                   ("error", reason[:1000].encode()),
                   ("source-topic", message.topic.encode()),
                   ("source-partition", str(message.partition).encode()),
                   ("source-offset", str(message.offset).encode()),
                   ("consumer-group", self.group.encode())]
        self._parking.send(self.dead_letter_topic, key=message.key, value=message.value,
                           headers=headers).get(timeout=30)
        self.stats.parked += 1

    # --- the loop --------------------------------------------------------------------

    def run_forever(self) -> None:
        self._loop.run_forever()

    def start(self) -> None:
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop()

    def close(self) -> None:
        """Leaves the group without committing anything not yet handled."""
        self.stop()
        self._consumer.close(autocommit=False)
        if self._parking is not None:
            self._parking.close(timeout=5)

"""cardledger's Kafka topics: made in one place, checked everywhere.

The relay creates them (``ensure_topics``), with CARDLEDGER_KAFKA_TOPIC_PARTITIONS
partitions; office consumers only wait for them (``await_topics``): a consumer
that created the topic itself would give it the broker's default partition
count, and the relay would then find it made. A topic that exists with another
partition count than the setting is refused loudly by both (TopicMismatch): the
partition count bounds how many consumers work in parallel and decides which
customer's events share a partition, so it is never changed silently.

Retention is forever: the topic is the office systems' replayable history,
from which a new office system builds its state from the first event.
"""

from __future__ import annotations

from typing import Any

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

UNKNOWN_TOPIC = 3  # Kafka's UNKNOWN_TOPIC_OR_PARTITION


class TopicMismatch(Exception):
    """A topic exists with another partition count than the settings say."""


class TopicMissing(Exception):
    """A topic the relay has not created yet."""


def _admin(bootstrap: str) -> KafkaAdminClient:
    return KafkaAdminClient(bootstrap_servers=bootstrap.split(","), client_id="cardledger-admin")


def _partitions(admin: KafkaAdminClient, names: list[str]) -> dict[str, int]:
    """Partition counts of the topics that exist among ``names``."""
    found: dict[str, int] = {}
    for topic in admin.describe_topics(names):
        name = topic.get("topic") or topic.get("name")
        if topic.get("error_code") == UNKNOWN_TOPIC or not topic.get("partitions"):
            continue
        found[name] = len(topic["partitions"])
    return found


def _check(found: dict[str, int], wanted: dict[str, int]) -> None:
    for name, count in wanted.items():
        if name in found and found[name] != count:
            raise TopicMismatch(
                f"Kafka topic {name!r} has {found[name]} partitions but the settings say "
                f"{count}: set CARDLEDGER_KAFKA_TOPIC_PARTITIONS={found[name]} everywhere, or "
                "publish to a new topic with a new CARDLEDGER_KAFKA_RELAY_NAME")


def ensure_topics(bootstrap: str, partitions: dict[str, int], replication_factor: int = 1) -> None:
    """Creates the missing topics (the relay's job); TopicMismatch for an existing
    one with another partition count."""
    admin = _admin(bootstrap)
    try:
        _check(_partitions(admin, list(partitions)), partitions)
        missing = set(partitions) - set(admin.list_topics())
        wanted = [NewTopic(name, num_partitions=partitions[name],
                           replication_factor=replication_factor,
                           topic_configs={"retention.ms": "-1"}) for name in sorted(missing)]
        if wanted:
            try:
                admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                pass  # another relay created it between list and create: check it again
            _check(_partitions(admin, list(partitions)), partitions)
    finally:
        admin.close()


def await_topics(bootstrap: str, partitions: dict[str, int]) -> None:
    """TopicMissing until the relay created them; TopicMismatch if one differs."""
    admin = _admin(bootstrap)
    try:
        found = _partitions(admin, list(partitions))
    finally:
        admin.close()
    _check(found, partitions)
    if missing := sorted(set(partitions) - set(found)):
        raise TopicMissing(f"waiting for the relay to create {', '.join(missing)}")


def topic_partitions(settings: Any) -> dict[str, int]:
    """The topics and partition counts the settings ask for."""
    return {settings.kafka_topic: settings.kafka_topic_partitions,
            settings.kafka_dead_letter_topic: 1}

"""What `cardledger relay`, `relay-lag` and `office-consumer` do.

Kept here, beside the adapters they run, so entrypoints/cli.py only parses
arguments and kafka-python is imported only by the commands that need it.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

from cardledger.metrics import ConsumerCollector, LagCollector, serve_worker_metrics
from cardledger.settings import Settings
from cardledger.signals import interrupt_on_stop_signals
from cardledger.wiring import open_runtime
from consumers.base import OfficeConsumer
from consumers.notifier import Notifier, address_template
from consumers.office_read_model import OfficeReadModel
from consumers.relay import Relay, kafka_producer, relay_lag
from consumers.topics import (
    TopicMismatch,
    TopicMissing,
    await_topics,
    ensure_topics,
    topic_partitions,
)

log = logging.getLogger("cardledger.consumers")

CONSUMERS = ("read-model", "notifier")


def _fail(message: str) -> int:
    print(f"cardledger: {message}", file=sys.stderr)
    return 2


def _topics_ready(settings: Settings, *, create: bool) -> None:
    """The relay creates the topics, consumers wait for them; both wait out a
    broker that is not up yet. TopicMismatch is not waited out: it needs a person."""
    failures = 0
    while True:
        try:
            if create:
                ensure_topics(settings.kafka_bootstrap, topic_partitions(settings),
                              settings.kafka_replication_factor)
            else:
                await_topics(settings.kafka_bootstrap, topic_partitions(settings))
            return
        except TopicMismatch:
            raise
        except TopicMissing as e:
            log.info("%s", e)
            time.sleep(1.0)
        except Exception as e:  # noqa: BLE001 (any broker trouble: wait and retry)
            failures += 1
            log.warning("Kafka at %s not ready (attempt %d): %s",
                        settings.kafka_bootstrap, failures, e)
            time.sleep(min(30.0, 0.5 * 2**failures))


def relay(settings: Settings) -> int:
    if not settings.kafka_bootstrap:
        return _fail("the relay is off: set CARDLEDGER_KAFKA_BOOTSTRAP to a Kafka broker")
    interrupt_on_stop_signals()
    with open_runtime(settings, run_projector=False) as runtime:
        worker = Relay(runtime.ledger, lambda: kafka_producer(settings.kafka_bootstrap),
                       settings.kafka_topic, name=settings.kafka_relay_name)
        serve_worker_metrics(settings.metrics_port, LagCollector(
            runtime.ledger, runtime.read_model, relay_name=settings.kafka_relay_name))
        try:
            _topics_ready(settings, create=True)
            log.info("relaying events to %s at %s, %d behind", settings.kafka_topic,
                     settings.kafka_bootstrap, worker.lag().behind)
            worker.run_forever()
        except KeyboardInterrupt:
            pass
        except TopicMismatch as e:
            return _fail(str(e))
        finally:
            worker.close()
    return 0


def show_lag(settings: Settings, *, as_json: bool) -> int:
    with open_runtime(settings, run_projector=False) as runtime:
        lag = relay_lag(runtime.ledger, settings.kafka_relay_name)
    if as_json:
        print(json.dumps(lag.as_dict()))
    else:
        print(f"relay at position {lag.position} of {lag.head}: {lag.behind} events behind")
    return 0


def office_dir(settings: Settings) -> Path:
    return settings.office_data_dir or settings.data_dir / "office"


def office_consumer(settings: Settings, which: str) -> int:
    if not settings.kafka_bootstrap:
        return _fail("set CARDLEDGER_KAFKA_BOOTSTRAP to the Kafka broker to consume from")
    handler: OfficeReadModel | Notifier
    if which == "notifier":
        if not settings.notify_address_template:
            return _fail("set CARDLEDGER_NOTIFY_ADDRESS_TEMPLATE, e.g. "
                         "'{customer_id}@customers.example.com', to know where to write")
        handler = Notifier(office_dir(settings) / "notifier.sqlite3",
                           smtp_host=settings.smtp_host, smtp_port=settings.smtp_port,
                           sender=settings.smtp_sender,
                           address_for=address_template(settings.notify_address_template))
    else:
        handler = OfficeReadModel(office_dir(settings) / "read_model.sqlite3")
    interrupt_on_stop_signals()
    try:
        _topics_ready(settings, create=False)
        consumer = OfficeConsumer(handler, bootstrap=settings.kafka_bootstrap,
                                  topic=settings.kafka_topic,
                                  group=f"{settings.kafka_consumer_group}.{handler.name}",
                                  dead_letter_topic=settings.kafka_dead_letter_topic)
        serve_worker_metrics(settings.metrics_port, ConsumerCollector(handler.name, consumer.stats))
        log.info("%s consuming %s as group %s", handler.name, settings.kafka_topic,
                 consumer.group)
        try:
            consumer.run_forever()
        finally:
            consumer.close()
    except KeyboardInterrupt:
        pass
    except TopicMismatch as e:
        return _fail(str(e))
    finally:
        handler.close()
    return 0

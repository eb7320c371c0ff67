"""Every Prometheus metric cardledger exposes, in one place (docs/operations.md
lists them for dashboards).

Labels never carry a company, customer, card, key or request id: routes are
templates, commands are route names, outcomes are stable problem codes. That is
what lets /metrics answer without an API key (docs/operations.md, "Metrics").

Counters and histograms live in prometheus-client's registry; with several API
workers (PROMETHEUS_MULTIPROC_DIR set by `cardledger serve --workers N`) each
worker writes them to files there and any worker's /metrics sums them all.
Lags are read from the store when scraped (LagCollector): they are facts of the
database, the same whichever process is asked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE_LATEST"]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "cardledger_http_requests", "HTTP requests answered, by route template and status",
    ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "cardledger_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template", ["method", "route"],
    buckets=LATENCY_BUCKETS)
COMMANDS = Counter(
    "cardledger_commands",
    "Commands (non-GET /v1 requests) by command and outcome: ok, or the problem code",
    ["command", "outcome"])
INLINE_VIEWS = Counter(
    "cardledger_inline_views",
    "Appends by what became of writing their views in the same transaction: applied; "
    "skipped (views behind, or their position held by a projector or rebuild); failed "
    "(appended again without them)", ["outcome"])
KEPT_CUSTOMERS = Counter(
    "cardledger_kept_customers",
    "Customers a command found in this process's cache, by whether the kept copy was "
    "current or behind the store, and whether the command decided on the copy (its "
    "append checked it) or read the store first (docs/command-path.md 1b)",
    ["outcome", "decided"])
PROCESSOR_CALLS = Histogram(
    "cardledger_processor_call_duration_seconds",
    "Time a call to the card processor took, errors included", ["processor", "operation"],
    buckets=LATENCY_BUCKETS)
PROCESSOR_ERRORS = Counter(
    "cardledger_processor_errors",
    "Processor calls that raised, by error (ProcessorUnavailable = an outage; "
    "CardDeclined, UnknownToken = the processor's answer)", ["processor", "operation", "error"])


class LagCollector(Collector):
    """How far the views and the Kafka relay are behind the events, read at scrape time."""

    def __init__(self, app: Any, read_model: Any, *, relay_name: str | None = None) -> None:
        self.app = app
        self.read_model = read_model
        self.relay_name = relay_name

    def collect(self) -> Iterator[Metric]:
        from projections.database import Database
        from projections.log_follower import Positions, relay_position_name

        head = self.app.recorder.max_notification_id() or 0
        yield _gauge("cardledger_events_head", "Newest notification id in the event store", head)
        position = self.read_model.position()
        yield _gauge("cardledger_projection_position", "Notification id the views include",
                     position)
        yield _gauge("cardledger_projection_lag_events",
                     "Events stored but not yet in the views", max(0, head - position))
        yield _gauge("cardledger_projection_lag_seconds",
                     "Age of the oldest event not yet in the views (0 when current)",
                     oldest_waiting_age(self.app, position))
        if self.relay_name is not None:
            relayed = Positions(Database(self.app)).read(relay_position_name(self.relay_name))
            yield _gauge("cardledger_relay_lag_events", "Events stored but not yet on Kafka",
                         max(0, head - relayed))
            yield _gauge("cardledger_relay_lag_seconds",
                         "Age of the oldest event not yet on Kafka (0 when current)",
                         oldest_waiting_age(self.app, relayed))


class ConsumerCollector(Collector):
    """An office consumer's message counts (consumers/base.py Stats)."""

    def __init__(self, name: str, stats: Any) -> None:
        self.name = name
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "cardledger_consumer_messages",
            "Kafka messages an office consumer finished, by outcome", labels=["consumer", "outcome"])
        for outcome, value in (("handled", self.stats.handled),
                               ("duplicate", self.stats.duplicates),
                               ("dead_lettered", self.stats.parked)):
            family.add_metric([self.name, outcome], value)
        yield family


def oldest_waiting_age(app: Any, position: int) -> float:
    """Seconds since the first event after ``position`` was stored; 0 if none waits."""
    waiting = app.recorder.select_notifications(start=position, limit=1,
                                                inclusive_of_start=False)
    if not waiting:
        return 0.0
    stored = app.mapper.to_domain_event(waiting[0]).timestamp
    return max(0.0, (datetime.now(tz=UTC) - stored).total_seconds())


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def exposition(*collectors: Collector) -> bytes:
    """This process's metrics (all workers' in multiprocess mode) plus ``collectors``."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        base = CollectorRegistry()
        multiprocess.MultiProcessCollector(base)
    else:
        base = REGISTRY
    extra = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        extra.register(collector)
    return generate_latest(base) + generate_latest(extra)


def serve_worker_metrics(port: int | None, *collectors: Collector) -> None:
    """A worker's /metrics on its own port (CARDLEDGER_METRICS_PORT); off when unset."""
    if not port:
        return
    for collector in collectors:
        REGISTRY.register(collector)
    start_http_server(port)

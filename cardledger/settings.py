"""Every setting in one object, read from the environment (and .env) once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARDLEDGER_", env_file=".env", extra="ignore")

    # Where the embedded default keeps its SQLite file and dev keys file.
    data_dir: Path = Path(".cardledger")
    # sqlite (embedded default) or postgres.
    store: Literal["sqlite", "postgres"] = "sqlite"
    postgres_host: str = "127.0.0.1"
    postgres_port: int = 5432
    postgres_dbname: str = "cardledger"
    postgres_user: str = "postgres"
    postgres_password: str = ""
    postgres_schema: str = ""
    postgres_pool_size: int = 5
    postgres_max_overflow: int = 10
    # Seconds one call to the event store (a load, an append, a read of the
    # views) may take in all: waiting for a connection, retries, a statement.
    # Past it the call fails and the API answers 503 store-unavailable; also the
    # server's statement_timeout. PostgreSQL only. See docs/store-outages.md.
    store_timeout: float = Field(5.0, gt=0, le=60)
    # Seconds a writer waits for the event table's lock (cut at store_timeout anyway).
    postgres_lock_timeout: int = 5
    # Check each pooled connection with a round trip before use. Off by default:
    # it adds a round trip to every database call, and a call that meets a dead
    # connection is retried (within store_timeout) anyway.
    postgres_pre_ping: bool = False
    # Seconds opening one new connection may take (libpq's floor is 2); a
    # caller never waits longer than store_timeout for one.
    postgres_connect_timeout: int = Field(5, ge=1)

    max_cards_per_customer: int = Field(10, ge=1, le=100)
    # inprocess: a thread in every process keeps the views current (embedded
    # default); external: a separate `cardledger project` worker does it.
    projections: Literal["inprocess", "external"] = "inprocess"
    projection_poll_interval: float = 0.05
    # How long a command's answer waits for the views to show it.
    read_your_writes_timeout: float = 2.0

    processor: Literal["sandbox", "stripe"] = "sandbox"
    # Stripe (processor=stripe): secret key, API address (localstripe in
    # tests), the webhook endpoint's signing secret and its replay window.
    stripe_api_key: SecretStr = SecretStr("")
    stripe_api_base: str = "https://api.stripe.com"
    stripe_webhook_secret: SecretStr = SecretStr("")
    stripe_webhook_tolerance: int = Field(300, ge=1)
    # Seconds one processor call may take before it counts as unavailable.
    # Kept under half of the in-flight window of a payment (60 s, domain/paying.py).
    processor_timeout: float = Field(10.0, gt=0, le=25)

    # HTTP API keys: "key=company:role,..." and/or a file with one entry a line.
    # Secret, so it never shows in a repr; the API keeps only their hashes.
    api_keys: SecretStr = SecretStr("")
    api_keys_file: Path | None = None
    # Per-key token bucket in each API process (a safety net; production rate
    # limiting belongs to the gateway). 0 requests per second switches it off.
    api_rate_limit_per_second: float = Field(100.0, ge=0)
    api_rate_limit_burst: int = Field(200, ge=1)

    # Kafka. Empty bootstrap: the relay is off (the embedded default).
    kafka_bootstrap: str = ""
    kafka_topic: str = "cardledger.payment-methods.v1"
    # Used only when the relay creates the topic; more partitions, more consumers in parallel.
    kafka_topic_partitions: int = Field(6, ge=1)
    # Copies of each partition when the relay creates a topic (3 on a real cluster).
    kafka_replication_factor: int = Field(1, ge=1)
    kafka_consumer_group: str = "cardledger-office"
    kafka_dead_letter_topic: str = "cardledger.payment-methods.v1.dead-letter"
    # The relay's position row (cl_relay_tracking). Pointing the relay at a new
    # topic with a new name publishes the whole history there; the old name would
    # carry on from where it was and skip it all.
    kafka_relay_name: str = Field("kafka-relay", min_length=1)

    # Prometheus: a worker's (project, relay, office-consumer) /metrics port;
    # unset, no metrics server. The API serves /metrics on its own port.
    metrics_port: int | None = Field(None, ge=1, le=65535)
    # /readyz answers 503 when the views are this many events behind, or when
    # an event has waited this many seconds for them (a stopped projector).
    ready_max_views_lag_events: int = Field(10_000, ge=1)
    ready_max_views_lag_seconds: float = Field(10.0, gt=0)
    # Office consumers' own SQLite files (never cardledger's tables); default data_dir/office.
    office_data_dir: Path | None = None
    # The notifier's mail server and the customer's address ({company_id}, {customer_id}).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_sender: str = "payments@cardledger.invalid"
    notify_address_template: str = ""

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "cardledger.sqlite3"

    def event_store_env(self) -> dict[str, str]:
        """The eventsourcing library's own settings for the chosen store."""
        if self.store == "sqlite":
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.sqlite_path),
                "SQLITE_LOCK_TIMEOUT": "10",
            }
        return {
            "PERSISTENCE_MODULE": "cardledger.store:BoundedPostgresFactory",
            "STORE_TIMEOUT": str(self.store_timeout),
            "POSTGRES_HOST": self.postgres_host,
            "POSTGRES_PORT": str(self.postgres_port),
            "POSTGRES_DBNAME": self.postgres_dbname,
            "POSTGRES_USER": self.postgres_user,
            "POSTGRES_PASSWORD": self.postgres_password,
            "POSTGRES_SCHEMA": self.postgres_schema,
            "POSTGRES_POOL_SIZE": str(self.postgres_pool_size),
            "POSTGRES_MAX_OVERFLOW": str(self.postgres_max_overflow),
            "POSTGRES_LOCK_TIMEOUT": str(self.postgres_lock_timeout),
            "POSTGRES_CONNECT_TIMEOUT": str(self.postgres_connect_timeout),
            "POSTGRES_PRE_PING": "y" if self.postgres_pre_ping else "n",
            # Tables are made by `cardledger migrate` alone, under its lock: six
            # processes creating them at once race (cardledger/schema/).
            "CREATE_TABLE": "n",
        }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

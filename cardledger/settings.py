"""Every setting in one object, read from the environment (and .env) once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARDLEDGER_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".cardledger"), description=(
        "The embedded store's SQLite file and the dev API keys file live here."))
    store: Literal["sqlite", "postgres"] = Field("sqlite", description=(
        "`sqlite` (the embedded default) or `postgres`."))
    postgres_host: str = Field("127.0.0.1", description="PostgreSQL server's host.")
    postgres_port: int = Field(5432, description="PostgreSQL server's port.")
    postgres_dbname: str = Field("cardledger", description="Database (must exist).")
    postgres_user: str = Field("postgres", description="PostgreSQL user.")
    postgres_password: str = Field("", description="PostgreSQL password.")
    postgres_schema: str = Field("", description=(
        "Schema of the event tables (empty: `public`)."))
    postgres_pool_size: int = Field(5, description="Connections each process keeps open.")
    postgres_max_overflow: int = Field(10, description=(
        "Connections a process may open beyond the pool under load."))
    store_timeout: float = Field(5.0, gt=0, le=60, description=(
        "Seconds one call to the event store (a load, an append, a read of the views) may "
        "take in all: waiting for a connection, retries, a statement. Past it the call fails "
        "and the API answers 503 store-unavailable; also PostgreSQL's statement_timeout. "
        "See docs/store-outages.md."))
    postgres_lock_timeout: int = Field(5, description=(
        "Seconds a writer waits for the events table's lock (cut at the store timeout anyway)."))
    postgres_pre_ping: bool = Field(False, description=(
        "Check each pooled connection with a round trip before use. Off: it adds a round trip "
        "to every database call, and a call that meets a dead connection is retried (within "
        "the store timeout) anyway."))
    postgres_connect_timeout: int = Field(5, ge=1, description=(
        "Seconds opening one new connection may take (libpq's floor is 2); no caller waits "
        "longer than the store timeout for one."))

    max_cards_per_customer: int = Field(10, ge=1, le=100, description="The saved-card limit.")
    projections: Literal["inprocess", "external"] = Field("inprocess", description=(
        "`inprocess`: a thread in every process keeps the views current (the embedded "
        "default); `external`: a separate `cardledger project` worker does."))
    projection_poll_interval: float = Field(0.05, description=(
        "Seconds between polls of the notification log when nothing wakes the projector "
        "(on PostgreSQL, LISTEN/NOTIFY wakes it at once; this is the fallback)."))
    read_your_writes_timeout: float = Field(2.0, description=(
        "Seconds a command's answer waits for the views to show it."))
    group_commit: bool = Field(True, description=(
        "Save concurrent commands of one process in one insert (docs/command-path.md); "
        "`false`: one insert per command."))
    inline_views: bool = Field(True, description=(
        "Write a command's changes to the views in the append's own transaction when "
        "the views are current, so its answer needs no projector (docs/command-path.md); "
        "`false`: the projector applies every change."))
    customer_cache_size: int = Field(1000, ge=0, le=1_000_000, description=(
        "Customers each process keeps after saving them, so the next command on one reads "
        "only the events appended since (docs/command-path.md); 0 turns it off."))

    processor: Literal["sandbox", "stripe"] = Field("sandbox", description=(
        "`sandbox` (in process, Stripe's test cards) or `stripe`."))
    stripe_api_key: SecretStr = Field(SecretStr(""), description=(
        "Stripe secret key (required with `stripe`; never shown in reprs)."))
    stripe_api_base: str = Field("https://api.stripe.com", description=(
        "Stripe's address (localstripe's in tests)."))
    stripe_webhook_secret: SecretStr = Field(SecretStr(""), description=(
        "The webhook endpoint's signing secret (`whsec_...`); empty: the webhook answers 503."))
    stripe_webhook_tolerance: int = Field(300, ge=1, description=(
        "Seconds a signed webhook delivery stays acceptable (older ones are replays: 400)."))
    processor_timeout: float = Field(10.0, gt=0, le=25, description=(
        "Seconds one processor call may take before it counts as unavailable; under half of "
        "a payment's 60 s in-flight window (domain/paying.py)."))
    stripe_publishable_key: str = Field("", description=(
        "Stripe's publishable key for Stripe.js card entry on the reference pages "
        "(public by design; docs/ui.md)."))
    stripe_js_url: str = Field("https://js.stripe.com/v3/", description=(
        "Where the pages load Stripe.js from (localstripe's fake in tests: "
        "`<localstripe>/js.stripe.com/v3/`)."))
    ui: bool | None = Field(None, description=(
        "The reference pages under `/ui/` (docs/ui.md). Unset: on with the embedded default "
        "(store=sqlite), off otherwise; production opts in with `true`."))

    api_keys: SecretStr = Field(SecretStr(""), description=(
        "API keys, `key=company:role,...` (company `*`: every company; roles `portal`, "
        "`office`, `auditor`, `admin`). Secret: never shown in reprs; only digests are kept."))
    api_keys_file: Path | None = Field(None, description=(
        "A file of API keys, one `key=company:role` a line (`#` comments). With neither set, "
        "`cardledger serve` makes `<data dir>/dev-api-keys.txt`."))
    api_rate_limit_per_second: float = Field(100.0, ge=0, description=(
        "Requests per second per key in each API process (`0`: off). A safety net: the "
        "gateway's limit is the real one."))
    api_rate_limit_burst: int = Field(200, ge=1, description=(
        "Requests a key may make at once before the rate applies."))

    kafka_bootstrap: str = Field("", description=(
        "Kafka brokers, `host:port[,host:port]`; empty: the relay is off (the embedded "
        "default)."))
    kafka_topic: str = Field("cardledger.payment-methods.v1", description=(
        "The topic events are published to."))
    kafka_topic_partitions: int = Field(6, ge=1, description=(
        "Partitions, when the relay creates the topic; more partitions, more consumers in "
        "parallel."))
    kafka_replication_factor: int = Field(1, ge=1, description=(
        "Copies of each partition when the relay creates the topics (3 on a real cluster)."))
    kafka_consumer_group: str = Field("cardledger-office", description=(
        "Office consumers' group prefix (`<prefix>.<consumer>`)."))
    kafka_dead_letter_topic: str = Field("cardledger.payment-methods.v1.dead-letter",
                                         description="Where consumers park poison messages.")
    kafka_relay_name: str = Field("kafka-relay", min_length=1, description=(
        "The relay's position row. Pointing the relay at a new topic under a new name "
        "publishes the whole history there; the old name would carry on where it was."))
    metrics_port: int | None = Field(None, ge=1, le=65535, description=(
        "A worker's (project, relay, office-consumer) Prometheus `/metrics` port; unset: no "
        "metrics server. The API serves `/metrics` on its own port."))
    ready_max_views_lag_events: int = Field(10_000, ge=1, description=(
        "`/readyz` answers 503 when the views are this many events behind."))
    ready_max_views_lag_seconds: float = Field(10.0, gt=0, description=(
        "`/readyz` answers 503 when an event has waited this many seconds for the views "
        "(a stopped projector)."))
    office_data_dir: Path | None = Field(None, description=(
        "Office consumers' own SQLite files, never cardledger's tables (empty: "
        "`<data dir>/office`)."))
    smtp_host: str = Field("127.0.0.1", description="The notifier's mail server.")
    smtp_port: int = Field(25, description="The notifier's mail server's port.")
    smtp_sender: str = Field("payments@cardledger.invalid", description=(
        "The notifier's From address."))
    notify_address_template: str = Field("", description=(
        "A customer's email address, from `{company_id}` and `{customer_id}`; empty: the "
        "notifier refuses to start."))

    @property
    def ui_enabled(self) -> bool:
        return self.store == "sqlite" if self.ui is None else self.ui

    # Tamper evidence (docs/audit.md): the HMAC-SHA256 key that signs chain
    # checkpoints, kept outside the database (a secret store, not .env in
    # production); its id is stored with each checkpoint. Retired keys still
    # verify old checkpoints: "id=secret,id=secret".
    chain_key: SecretStr = Field(
        SecretStr(""), description=("The HMAC-SHA256 secret that signs chain checkpoints "
                                    "(`cardledger checkpoint`); keep it outside the database. "
                                    "Empty: checkpoints cannot be signed (docs/audit.md)."))
    chain_key_id: str = Field("k1", pattern=r"^[A-Za-z0-9_.-]{1,32}$",
                              description="The signing key's id, stored with each checkpoint.")
    chain_retired_keys: SecretStr = Field(
        SecretStr(""), description=("Keys that no longer sign but still verify older "
                                    "checkpoints: `id=secret,id=secret`."))
    data_key_wrapping_key: SecretStr = Field(
        SecretStr(""), description=(
            "A secret (32 or more random bytes, as text) that wraps each customer's "
            "personal-data key before it is stored (docs/erasure.md), so a copy of the "
            "database alone reveals no cardholder name; keep it outside the database, "
            "like the chain key. Empty: keys are stored unwrapped (the embedded default). "
            "Set it before the first customer is keyed: keys stored one way are not "
            "read the other way."))
    expiry_reminder_link_template: str = Field(
        "https://portal.example.com/{company_id}/customers/{customer_id}/payment-methods",
        description=("The \"update your card\" link in expiry reminders, from `{company_id}`, "
                     "`{customer_id}` and `{payment_method_id}` (docs/autopay.md)."))

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "cardledger.sqlite3"

    def event_store_env(self) -> dict[str, str]:
        """The eventsourcing library's own settings for the chosen store."""
        if self.store == "sqlite":
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                # The library's recorder, plus work in the append's transaction
                # (the views' inline writer: docs/command-path.md).
                "APPLICATION_RECORDER_TOPIC": "storage.sqlite_store:SQLiteRecorder",
                "SQLITE_DBNAME": str(self.sqlite_path),
                "SQLITE_LOCK_TIMEOUT": "10",
            }
        return {
            "PERSISTENCE_MODULE": "storage.bounded_postgres:BoundedPostgresFactory",
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

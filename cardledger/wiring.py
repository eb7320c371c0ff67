"""Builds the running parts from Settings: ledger, views, projector, processor."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import psycopg

from cardledger import metrics, schema
from cardledger.personal_data import SealedWithKeys
from cardledger.processors.metered import metered
from cardledger.settings import Settings, get_settings
from domain.processor import Processor
from domain.service import CardLedger, utcnow
from projections.database import Database
from projections.inline_views import InlineViews
from projections.listener import PostgresListener
from projections.read_model import ReadModel
from projections.runner import Projector


def build_processor(settings: Settings) -> Processor:
    """The configured processor, its calls timed and counted (cardledger/metrics.py)."""
    if settings.processor == "stripe":
        # Imported only when chosen: the Stripe SDK is not loaded otherwise.
        from cardledger.processors.stripe import StripeProcessor

        return metered(StripeProcessor.from_settings(settings), "stripe")
    from cardledger.processors.sandbox import SandboxProcessor

    return metered(SandboxProcessor(), "sandbox")


# pg_advisory_lock key of `cardledger migrate` ("cardledg" in ASCII).
MIGRATE_LOCK = 0x636172646C656467


def _connect(settings: Settings) -> psycopg.Connection[object]:
    return psycopg.connect(host=settings.postgres_host, port=settings.postgres_port,
                           dbname=settings.postgres_dbname, user=settings.postgres_user,
                           password=settings.postgres_password, connect_timeout=3,
                           autocommit=True)


class StoreUnavailable(OSError):
    """The configured event store cannot be reached (fail fast, one clear line)."""


def check_postgres(settings: Settings) -> None:
    # At start, say at once and in one line why the store cannot be reached (the
    # first call would fail only after store_timeout, with a vaguer error).
    try:
        _connect(settings).close()
    except psycopg.Error as e:
        reason = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        raise StoreUnavailable(
            f"cannot reach PostgreSQL database {settings.postgres_dbname!r} at "
            f"{settings.postgres_host}:{settings.postgres_port}: {reason}") from None


@contextmanager
def migrate_lock(settings: Settings) -> Iterator[None]:
    """One migrator at a time on PostgreSQL: a session advisory lock on a
    connection of its own, released by the server if this process dies."""
    if settings.store != "postgres":
        yield
        return
    with _connect(settings) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK,))
        yield


def prepare_schema(settings: Settings, ledger: CardLedger, *,
                   migrate: bool | None = None) -> list[schema.runner.Migration]:
    """Migrates (the embedded SQLite default, or when asked) or only checks the
    schema version (PostgreSQL: `cardledger migrate` is a deployment step)."""
    db = Database(ledger)
    if migrate if migrate is not None else settings.store == "sqlite":
        with migrate_lock(settings):
            return schema.migrate(ledger, db)
    schema.check_schema(db)
    return []


def migrate_store(settings: Settings | None = None, *,
                  migrate: bool | None = True) -> tuple[list[schema.runner.Migration], int]:
    """`cardledger migrate`: the migrations applied now, and the version reached.
    With migrate=None, what any process does at start (e.g. `serve` before its
    workers): migrate SQLite, check PostgreSQL."""
    settings = settings or get_settings()
    if settings.store == "postgres":
        check_postgres(settings)
    ledger = CardLedger(settings.event_store_env(), processor=build_processor(settings))
    try:
        applied = prepare_schema(settings, ledger, migrate=migrate)
        return applied, schema.schema_version(Database(ledger))
    finally:
        ledger.close()


@dataclass
class Runtime:
    settings: Settings
    ledger: CardLedger
    read_model: ReadModel
    projector: Projector
    listener: PostgresListener | None = None
    inline_views: InlineViews | None = None

    def close(self) -> None:
        if self.listener is not None:
            self.listener.stop()
        self.projector.stop()
        self.ledger.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_runtime(settings: Settings | None = None, *, processor: Processor | None = None,
                 clock: Callable[[], datetime] = utcnow,
                 run_projector: bool | None = None, migrate: bool | None = None) -> Runtime:
    """run_projector defaults to the settings: a background thread in this
    process when projections are 'inprocess'. migrate: see prepare_schema."""
    settings = settings or get_settings()
    if settings.store == "postgres":
        check_postgres(settings)
    ledger = CardLedger(settings.event_store_env(),
                        processor=processor or build_processor(settings),
                        clock=clock, max_cards=settings.max_cards_per_customer,
                        group_commit=settings.group_commit,
                        customer_cache_size=settings.customer_cache_size)
    try:
        prepare_schema(settings, ledger, migrate=migrate)
    except BaseException:
        ledger.close()
        raise
    read_model = ReadModel(Database(ledger))
    ledger.customers.counted = lambda outcome, decided: metrics.KEPT_CUSTOMERS.labels(
        outcome, decided).inc()
    # Beside the events, in the same store (docs/erasure.md).
    ledger.personal_data = SealedWithKeys(
        read_model.db, settings.data_key_wrapping_key.get_secret_value())
    projector = Projector(ledger, read_model, poll_interval=settings.projection_poll_interval)
    inline = None
    if settings.inline_views:
        # A command's changes reach the views in its own append's transaction
        # whenever they are current (projections/inline_views.py).
        inline = InlineViews(ledger, read_model, projector,
                             counted=lambda outcome: metrics.INLINE_VIEWS.labels(outcome).inc())
        ledger.in_same_transaction = inline
    listener = None
    if read_model.db.postgres:
        datastore = ledger.recorder.datastore
        listener = PostgresListener(projector, datastore.pool.kwargs,
                                    ledger.recorder.channel_name)
        listener.start()
    if run_projector if run_projector is not None else settings.projections == "inprocess":
        projector.start()
    return Runtime(settings, ledger, read_model, projector, listener, inline)

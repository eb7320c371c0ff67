"""Builds the running parts from Settings: ledger, views, projector, processor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import psycopg

from cardledger.settings import Settings, get_settings
from domain.processor import Processor
from domain.service import CardLedger, utcnow
from projections.database import Database
from projections.listener import PostgresListener
from projections.read_model import ReadModel
from projections.runner import Projector


def build_processor(settings: Settings) -> Processor:
    if settings.processor == "stripe":
        from cardledger.processors.stripe import StripeProcessor  # noqa: PLC0415 (optional)

        return StripeProcessor.from_settings(settings)
    from cardledger.processors.sandbox import SandboxProcessor  # noqa: PLC0415

    return SandboxProcessor()


class StoreUnavailable(OSError):
    """The configured event store cannot be reached (fail fast, one clear line)."""


def check_postgres(settings: Settings) -> None:
    # At start, say at once and in one line why the store cannot be reached (the
    # first call would fail only after store_timeout, with a vaguer error).
    try:
        psycopg.connect(host=settings.postgres_host, port=settings.postgres_port,
                        dbname=settings.postgres_dbname, user=settings.postgres_user,
                        password=settings.postgres_password, connect_timeout=3).close()
    except psycopg.Error as e:
        reason = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        raise StoreUnavailable(
            f"cannot reach PostgreSQL database {settings.postgres_dbname!r} at "
            f"{settings.postgres_host}:{settings.postgres_port}: {reason}") from None


@dataclass
class Runtime:
    settings: Settings
    ledger: CardLedger
    read_model: ReadModel
    projector: Projector
    listener: PostgresListener | None = None

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
                 run_projector: bool | None = None) -> Runtime:
    """run_projector defaults to the settings: a background thread in this
    process when projections are 'inprocess'."""
    settings = settings or get_settings()
    if settings.store == "postgres":
        check_postgres(settings)
    ledger = CardLedger(settings.event_store_env(),
                        processor=processor or build_processor(settings),
                        clock=clock, max_cards=settings.max_cards_per_customer,
                        group_commit=settings.group_commit)
    read_model = ReadModel(Database(ledger))
    read_model.create_tables()
    projector = Projector(ledger, read_model, poll_interval=settings.projection_poll_interval)
    listener = None
    if read_model.db.postgres:
        datastore = ledger.recorder.datastore
        listener = PostgresListener(projector, datastore.pool.kwargs,
                                    ledger.recorder.channel_name)
        listener.start()
    if run_projector if run_projector is not None else settings.projections == "inprocess":
        projector.start()
    return Runtime(settings, ledger, read_model, projector, listener)

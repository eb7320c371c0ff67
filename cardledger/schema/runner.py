"""Applies the numbered migrations in order and records each one's version.

Why our own ~100 lines rather than yoyo-migrations or Alembic: migration 1 is
the eventsourcing library's own DDL (its recorders' ``create_table``, which
differs between library versions), so a step must be able to run Python; the
views already speak one portable SQL dialect on SQLite and PostgreSQL through
``projections.database``; and the lock is a PostgreSQL *session* advisory lock,
which the server releases when a crashed migrator's connection drops, where
yoyo's lock table row stays behind until someone runs ``yoyo break-lock``.

Concurrency: on PostgreSQL the caller holds the advisory lock around
``migrate`` (cardledger/wiring.py), so the first process migrates and the
others wait, then find nothing to do. On SQLite (the embedded default,
migrated implicitly by every process) each migration is claimed by inserting
its version row first thing in its transaction: a write, so SQLite's file lock
serialises the claimants, and whoever inserts nothing skips the migration.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.application import Application

from cardledger.schema import (
    m0001_event_store,
    m0002_read_side,
    m0003_autopay_and_reconcile,
    m0004_one_position_table,
    m0005_personal_data_keys,
)
from projections.database import Database

log = logging.getLogger("cardledger.schema")

VERSION_TABLE = """CREATE TABLE IF NOT EXISTS cl_schema_version (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL)"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    # Run in the transaction that records the version: all or nothing.
    statements: tuple[str, ...] = ()
    # An idempotent step on its own connections, run just before (library DDL).
    prepare: Callable[[Application[Any]], None] | None = None


MIGRATIONS = (
    Migration(1, m0001_event_store.NAME, prepare=m0001_event_store.prepare),
    Migration(2, m0002_read_side.NAME, statements=m0002_read_side.STATEMENTS),
    Migration(3, m0003_autopay_and_reconcile.NAME,
              statements=m0003_autopay_and_reconcile.STATEMENTS),
    Migration(4, m0004_one_position_table.NAME,
              statements=m0004_one_position_table.STATEMENTS),
    Migration(5, m0005_personal_data_keys.NAME,
              statements=m0005_personal_data_keys.STATEMENTS),
)
LATEST = MIGRATIONS[-1].version


class SchemaBehind(Exception):
    """The database has not been migrated to the version this code needs."""


def _version_table_exists(db: Database) -> bool:
    sql = ("SELECT to_regclass('cl_schema_version') IS NOT NULL AS found" if db.postgres else
           "SELECT count(*) > 0 AS found FROM sqlite_master "
           "WHERE type = 'table' AND name = 'cl_schema_version'")
    return bool(db.read(sql)[0]["found"])


def _applied(db: Database) -> set[int]:
    if not _version_table_exists(db):
        return set()
    return {int(r["version"]) for r in db.read("SELECT version FROM cl_schema_version")}


def schema_version(db: Database) -> int:
    """The highest migration recorded (0 on a database never migrated)."""
    return max(_applied(db), default=0)


def migrate(app: Application[Any], db: Database) -> list[Migration]:
    """Applies every migration not yet recorded; the ones this call applied.
    On PostgreSQL, call it holding the migrate lock."""
    with db.transaction() as tx:
        tx.execute(VERSION_TABLE)
    done = _applied(db)
    applied = []
    for migration in MIGRATIONS:
        if migration.version in done:
            continue
        if migration.prepare is not None:
            migration.prepare(app)
        with db.transaction() as tx:
            claimed = tx.execute(
                "INSERT INTO cl_schema_version (version, name, applied_at) "
                "VALUES (:v, :n, :at) ON CONFLICT (version) DO NOTHING",
                {"v": migration.version, "n": migration.name,
                 "at": datetime.now(tz=UTC).isoformat()}).rowcount == 1
            if claimed:
                for statement in migration.statements:
                    tx.execute(statement)
        if claimed:
            log.debug("applied migration %d: %s", migration.version, migration.name)
            applied.append(migration)
    return applied


def check_schema(db: Database) -> int:
    """The schema version, or SchemaBehind saying what to run. A database ahead
    of this code is accepted: migrations add before they remove, so the previous
    release keeps running during a rolling upgrade."""
    version = schema_version(db)
    if version < LATEST:
        raise SchemaBehind(f"the database schema is at version {version}, this cardledger "
                           f"needs {LATEST}: run `cardledger migrate` first")
    return version

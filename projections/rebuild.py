"""Rebuild both views from scratch, fast.

The events are projected by the very same ReadModel code into a private
in-memory SQLite copy of the view tables (microseconds a statement instead of a
network round trip), and the finished tables are then copied into the real
store in bulk, in one transaction that also sets the views' position. Readers
see the old views until that transaction commits, then the new ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from eventsourcing.application import Application
from eventsourcing.sqlite import SQLiteDatastore

from projections.database import Database
from projections.read_model import NAME, ReadModel
from projections.runner import Projector
from projections.schema import VIEW_TABLES

STAGING_BATCH = 5000
COPY_CHUNK = 10_000  # rows read from staging and copied at a time: bounded memory,
# and the store's transaction never sits idle long enough to be cut off


def rebuild(app: Application[Any], read_model: ReadModel) -> int:
    """Returns the number of events projected."""
    staging_store = SQLiteDatastore(f"file:cardledger-staging-{uuid.uuid4().hex}"
                                    "?mode=memory&cache=shared")
    try:
        staging = ReadModel(Database(datastore=staging_store))
        staging.create_tables()
        count = Projector(app, staging, batch_size=STAGING_BATCH).catch_up()
        with read_model.db.transaction() as tx:
            for table in VIEW_TABLES:
                tx.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
                for rows in _chunks(staging.db, table):
                    tx.insert_many(table, rows)
            # A projector running meanwhile fails its next compare-and-set and
            # carries on from here.
            tx.execute("UPDATE cl_tracking SET position = :p WHERE name = :n",
                       {"p": staging.position(), "n": NAME})
        return count
    finally:
        staging_store.close()


def _chunks(staging: Database, table: str) -> Iterator[list[dict[str, Any]]]:
    """The staging table's rows in rowid order (staging is always SQLite)."""
    after = 0
    while rows := staging.read(
            f"SELECT rowid AS staging_rowid, * FROM {table} "  # noqa: S608 (fixed names)
            "WHERE rowid > :after ORDER BY rowid LIMIT :n", {"after": after, "n": COPY_CHUNK}):
        after = rows[-1].pop("staging_rowid")
        for row in rows[:-1]:
            del row["staging_rowid"]
        yield rows

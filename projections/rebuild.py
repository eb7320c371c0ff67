"""Rebuild both views from scratch, fast.

The events are projected by the very same ReadModel code into a private
in-memory SQLite copy of the view tables (microseconds a statement instead of a
network round trip), and the finished tables are then copied into the real
store in bulk, in one transaction that also sets the views' position. Readers
see the old views until that transaction commits, then the new ones.
"""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.application import Application
from eventsourcing.sqlite import SQLiteDatastore

from projections.database import Database
from projections.read_model import NAME, ReadModel
from projections.runner import Projector
from projections.schema import VIEW_TABLES

STAGING_BATCH = 5000


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
                tx.insert_many(table, staging.db.read(f"SELECT * FROM {table}"))  # noqa: S608
            # A projector running meanwhile fails its next compare-and-set and
            # carries on from here.
            tx.execute("UPDATE cl_tracking SET position = :p WHERE name = :n",
                       {"p": staging.position(), "n": NAME})
        return count
    finally:
        staging_store.close()

"""1: the eventsourcing library's own tables, types and functions (events,
notifications, snapshots), made by the library's DDL for its installed version."""

from __future__ import annotations

from typing import Any

from eventsourcing.application import Application

NAME = "event store (the eventsourcing library's tables)"


def prepare(app: Application[Any]) -> None:
    # The library's create_table runs on its own connections and is idempotent
    # (IF NOT EXISTS, a duplicate type ignored), so it runs before the version is
    # recorded; on PostgreSQL the migrate lock keeps two processes from racing
    # on its CREATE TYPE / CREATE OR REPLACE FUNCTION.
    app.recorder.create_table()
    if app.snapshots is not None:
        app.snapshots.recorder.create_table()

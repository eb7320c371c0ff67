"""What someone with write access to the database does: reads and rewrites
stored event records directly, on SQLite or PostgreSQL, behind the
application's back."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from domain.chain import next_link
from projections.database import Database


def _id_param(db: Database, originator_id: UUID) -> Any:
    return originator_id if db.postgres else originator_id.hex


def edit_event(app: Application[Any], originator_id: UUID, version: int,
               change: Callable[[dict[str, Any]], None]) -> None:
    """Decodes the stored JSON state, lets ``change`` edit it, writes it back."""
    db = Database(app)
    table = app.recorder.events_table_name  # type: ignore[attr-defined]
    params = {"id": _id_param(db, originator_id), "v": version}
    rows = db.read(f"SELECT state FROM {table} WHERE originator_id = :id "  # noqa: S608
                   f"AND originator_version = :v", params)
    assert rows, f"no stored event {originator_id} v{version}"
    state = json.loads(bytes(rows[0]["state"]))
    change(state)
    with db.transaction() as tx:
        tx.execute(f"UPDATE {table} SET state = :s WHERE originator_id = :id "  # noqa: S608
                   f"AND originator_version = :v",
                   {**params, "s": json.dumps(state, separators=(",", ":")).encode()})


def delete_event(app: Application[Any], originator_id: UUID, version: int) -> None:
    db = Database(app)
    table = app.recorder.events_table_name  # type: ignore[attr-defined]
    with db.transaction() as tx:
        tx.execute(f"DELETE FROM {table} WHERE originator_id = :id "  # noqa: S608
                   f"AND originator_version = :v",
                   {"id": _id_param(db, originator_id), "v": version})


def relink_from(app: Application[Any], originator_id: UUID, version: int) -> None:
    """What a careful forger does after an edit: recomputes the links of the
    stream from ``version`` on, so every link matches its (edited) event."""
    records = app.recorder.select_events(originator_id)  # type: ignore[attr-defined]
    previous: str | None = None
    for record in records:
        state = app.mapper.transcoder.decode(record.state)
        if record.originator_version >= version:
            fields = {k: v for k, v in state.items()}
            link = next_link(previous, originator_id, record.originator_version, record.topic,
                             state.get("class_version", 1), fields)

            def put(stored: dict[str, Any], link: str = link) -> None:
                stored["chain_link"] = link

            edit_event(app, originator_id, record.originator_version, put)
            previous = link
        else:
            previous = state.get("chain_link")

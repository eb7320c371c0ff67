"""Office consumers' own SQLite files are versioned like cardledger's schema."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from consumers.notifier import Notifier
from consumers.office_read_model import OfficeReadModel
from consumers.state import LocalStore

V1 = ("CREATE TABLE IF NOT EXISTS seen (event_id TEXT PRIMARY KEY)",)
V2 = ("ALTER TABLE seen ADD COLUMN at TEXT",)


def test_a_new_migration_is_applied_once_to_an_existing_file(tmp_path: Path) -> None:
    # given a file at version 1 with a row in it
    first = LocalStore(tmp_path / "office.sqlite3", (V1,))
    with first.transaction() as tx:
        tx.execute("INSERT INTO seen (event_id) VALUES ('e1')")
    assert first.version() == 1
    first.close()
    # when four processes' worth of stores open it with migration 2 at once
    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: LocalStore(tmp_path / "office.sqlite3", (V1, V2)),
                               range(4)))
    # then it is at version 2, the column added once, the row kept
    assert {store.version() for store in stores} == {2}
    assert stores[0].read("SELECT event_id, at FROM seen") == [{"event_id": "e1", "at": None}]
    for store in stores:
        store.close()


def test_the_office_read_model_and_notifier_files_are_at_version_1(tmp_path: Path) -> None:
    model = OfficeReadModel(tmp_path / "read_model.sqlite3")
    notifier = Notifier(tmp_path / "notifier.sqlite3", smtp_host="127.0.0.1", smtp_port=1,
                        sender="a@example.com", address_for=lambda company, customer: None)
    try:
        for path in ("read_model.sqlite3", "notifier.sqlite3"):
            with sqlite3.connect(tmp_path / path) as conn:
                assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    finally:
        model.close()
        notifier.close()

"""Read-your-writes without headers, across API processes on one PostgreSQL:
a client whose next read goes to another process still sees its command.

Process A projects in a thread of its own; process B takes commands but has
no projector (projections=external), so its answers wait for A's word over
LISTEN/NOTIFY — the path several API workers and a projection worker use.
Both are real HTTP servers with their own runtime, store pool and listener.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cardledger.settings import Settings
from tests.api.client import Api
from tests.api.conftest import Live, api_for, base_settings, serving
from tests.conftest import throwaway_database

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, Live]]:
    with throwaway_database("cardledger_ryw_") as database:
        projecting = base_settings(tmp_path_factory.mktemp("a"), database)
        # A long timeout: a missing wake-up would show as a slow test, not a pass.
        taking: Settings = base_settings(tmp_path_factory.mktemp("b"), database,
                                         projections="external",
                                         read_your_writes_timeout=30.0,
                                         projection_poll_interval=30.0)
        with serving(projecting, projector_thread=True) as a, serving(taking) as b:
            yield a, b


def clients(a: Live, b: Live) -> tuple[Api, Api]:
    on_a = api_for(a)
    return on_a, api_for(b, like=on_a)


def test_a_command_on_one_process_is_seen_by_a_read_on_the_other(
        two_processes: tuple[Live, Live]) -> None:
    a, b = two_processes
    on_a, on_b = clients(a, b)
    on_a.given_online_payments()
    for taker, reader, customer in ((on_a, on_b, "ryw-a-to-b"), (on_b, on_a, "ryw-b-to-a")):
        # (letters: ids made of long digit runs read as card numbers to the guard)
        # Given a card added through one process
        added = taker.add_card(customer, "pm_card_visa", make_primary=True)
        assert added.status_code == 201, added.text
        card_id = added.json()["id"]
        # When the very next read goes to the other process, with no extra header
        listed = reader.cards(customer)
        history = reader.history(customer)
        # Then both show the command
        assert listed.status_code == 200, listed.text
        assert [c["id"] for c in listed.json()["payment_methods"]] == [card_id]
        assert [(e["action"], e["payment_method"]["id"]) for e in history.json()["history"]
                if not e["company_wide"]] == [("set_primary", card_id), ("added", card_id)]


def test_commands_on_the_process_without_a_projector_answer_without_polling(
        two_processes: tuple[Live, Live]) -> None:
    # Given B polls only every 30 s, so only a NOTIFY from A can release its answers
    a, b = two_processes
    on_a, on_b = clients(a, b)
    on_a.given_online_payments()
    # When B takes a run of commands
    card = on_b.given_card("quick", "pm_card_visa", make_primary=True)
    second = on_b.given_card("quick", "pm_card_mastercard")
    moved = on_b.set_primary("quick", second)
    deleted = on_b.delete_card("quick", card)
    # Then each answered at once (well within the poll interval) and A shows the result
    assert moved.status_code == 200 and deleted.status_code in (200, 204)
    assert max(r.elapsed.total_seconds() for r in (moved, deleted)) < 5
    listed = on_a.cards("quick").json()["payment_methods"]
    assert [(c["id"], c["is_primary"]) for c in listed] == [(second, True)]


def test_the_position_header_names_where_the_command_landed(
        two_processes: tuple[Live, Live]) -> None:
    a, b = two_processes
    on_a, on_b = clients(a, b)
    on_a.given_online_payments()
    first = on_b.add_card("pos", "pm_card_visa")
    second = on_a.add_card("pos", "pm_card_mastercard")
    assert int(second.headers["Cardledger-Position"]) > int(first.headers["Cardledger-Position"])

"""Group commit: concurrent commands in one process are saved in one insert.

On PostgreSQL every insert takes the library's exclusive table lock (it keeps
notification ids in commit order), so one-at-a-time saves queue on that lock
and on one transaction each. Here the first thread to arrive becomes the leader
and saves everything that is waiting in one ``insert_events`` call; threads that
arrive meanwhile wait and the next leader takes all of them. Nothing waits on a
timer: a lone command is saved at once, batches only form under load.

A conflict on any member rolls the whole insert back, so the batch is then
saved one member at a time: only the member that lost its race gets the
``RecordConflictError`` (and reloads in the runner's retry); the others commit.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.persistence import IntegrityError, Recording

from domain.basis import EXPECTED_VERSIONS

MAX_BATCH = 64  # commands per insert; bounds one transaction's size and lock time


@dataclass(eq=False)
class _Ticket:
    work: ProcessingEvent[Any]
    recordings: list[Recording[Any]] = field(default_factory=list)
    error: BaseException | None = None
    finished: bool = False


class GroupCommit:
    def __init__(self, app: Application[Any], *, enabled: bool = True) -> None:
        self.app = app
        self.enabled = enabled  # off: every save is its own insert, as Application.save
        self._turn = threading.Condition()
        self._waiting: list[_Ticket] = []
        self._leading = False
        self.batch_sizes: Counter[int] = Counter()  # how many inserts carried n commands

    def save(self, aggregate: Any, *,
             expected_versions: Mapping[UUID, int] | None = None) -> list[Recording[Any]]:
        """Saves the aggregate's pending events, with whatever else is waiting;
        with ``expected_versions``, on condition that those streams are still
        at those versions (domain/basis.py)."""
        work: ProcessingEvent[Any] = ProcessingEvent()
        work.collect_events(aggregate)
        if not work.events:
            return []
        if expected_versions:
            work.saved_kwargs[EXPECTED_VERSIONS] = dict(expected_versions)
        ticket = _Ticket(work)
        if not self.enabled:
            self.save_together([ticket])
        else:
            self._wait_for_turn(ticket)
        if ticket.error is not None:
            raise ticket.error
        return ticket.recordings

    def _wait_for_turn(self, ticket: _Ticket) -> None:
        """Queue the ticket; lead a batch whenever nobody else does, until it is saved."""
        with self._turn:
            self._waiting.append(ticket)
            while not ticket.finished:
                if self._leading:
                    self._turn.wait()
                    continue
                self._leading = True
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                self._turn.release()
                try:
                    self.save_together(batch)
                finally:
                    self._turn.acquire()
                    self._leading = False
                    self._turn.notify_all()

    def save_together(self, batch: list[_Ticket]) -> None:
        """One insert for the batch; after a conflict, one insert per member."""
        self.batch_sizes[len(batch)] += 1
        if len(batch) == 1:
            self._save_alone(batch[0])
            return
        merged: ProcessingEvent[Any] = ProcessingEvent()
        expected: dict[UUID, int] = {}
        for ticket in batch:
            merged.events.extend(ticket.work.events)
            merged.aggregates.update(ticket.work.aggregates)
            expected.update(ticket.work.saved_kwargs.get(EXPECTED_VERSIONS, {}))
        if expected:  # two members reading one company at two versions: one loses
            merged.saved_kwargs[EXPECTED_VERSIONS] = expected
        try:
            recordings = self.app._record(merged)  # noqa: SLF001 (Application.save's own step)
        except IntegrityError:
            for ticket in batch:  # only the member that lost its race fails
                self._save_alone(ticket)
            return
        except Exception as e:  # noqa: BLE001 (an outage: every member's command fails)
            for ticket in batch:
                ticket.error, ticket.finished = e, True
            return
        by_aggregate: dict[Any, list[Recording[Any]]] = {}
        for recording in recordings:
            by_aggregate.setdefault(recording.domain_event.originator_id, []).append(recording)
        for ticket in batch:
            ticket.recordings = [r for aggregate_id in ticket.work.aggregates
                                 for r in by_aggregate.get(aggregate_id, [])]
        self._after_commit(batch, merged, recordings)

    def _save_alone(self, ticket: _Ticket) -> None:
        try:
            ticket.recordings = self.app._record(ticket.work)  # noqa: SLF001
        except Exception as e:  # noqa: BLE001 (handed to the thread whose command it is)
            ticket.error, ticket.finished = e, True
            return
        self._after_commit([ticket], ticket.work, ticket.recordings)

    def _after_commit(self, batch: list[_Ticket], work: ProcessingEvent[Any],
                      recordings: list[Recording[Any]]) -> None:
        # The rest of what Application.save does once the events are stored.
        try:
            self.app._take_snapshots(work)  # noqa: SLF001
            self.app._notify(recordings)  # noqa: SLF001
        except Exception as e:  # noqa: BLE001 (as Application.save would raise it)
            for ticket in batch:
                ticket.error = e
        for ticket in batch:
            ticket.finished = True

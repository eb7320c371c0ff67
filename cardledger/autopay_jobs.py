"""Scheduled autopay work: making due retries (``cardledger autopay-retry``).

Any number of workers may run at once, in any processes: the queue is the
``cl_autopay_due`` view, and who sends an attempt is decided by appends to
the customer's stream (domain/autopay_charging.py), never by the queue. A
worker that dies mid-charge leaves an open attempt; the queue offers it again
when its in-flight window ends, and the next worker asks the processor before
charging anything.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable

from cardledger.wiring import Runtime
from domain.errors import DomainError, PaymentInProgress
from projections.autopay_views import due_charges

log = logging.getLogger("cardledger.autopay")


def make_due_retries(runtime: Runtime, *, batch: int = 100) -> Counter[str]:
    """One pass over the charges due now; counts by what became of each:
    succeeded, failed, retry_scheduled, busy (another worker has it),
    nothing (not due after all) or error (logged; offered again later)."""
    runtime.projector.catch_up()  # safe beside other projectors (compare-and-set)
    now = runtime.ledger.clock()
    counts: Counter[str] = Counter()
    for due in due_charges(runtime.read_model.db, now.isoformat(), batch):
        try:
            outcome = runtime.ledger.autopay.make_retry(due.company_id, due.customer_id,
                                                        due.charge_id)
        except PaymentInProgress:
            counts["busy"] += 1
            continue
        except DomainError as e:  # e.g. the processor is down: the charge stays queued
            log.warning("autopay charge %s not retried: %s", due.charge_id, e.code)
            counts["error"] += 1
            continue
        counts[outcome.charge.status if outcome else "nothing"] += 1
    runtime.projector.catch_up()
    return counts


def run_forever(runtime: Runtime, interval: float, report: Callable[[Counter[str]], None],
                stop: threading.Event | None = None) -> None:
    def one_pass() -> None:
        counts = make_due_retries(runtime)
        if counts:
            report(counts)

    every(interval, one_pass, stop)


def every(interval: float, job: Callable[[], None], stop: threading.Event | None = None) -> None:
    """Runs ``job`` every ``interval`` seconds until stopped; a failed pass is
    logged and the next one runs on time (the work it left stays queued)."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            job()
        except Exception:
            log.exception("scheduled pass failed; next one in %ss", interval)
        stop.wait(interval)

"""6. Cost with history length: command latency for customers with 10, 1,000 and
10,000 past events (Customer snapshots every 50 events, as in domain/service.py).

    .venv/bin/python -m bench.history_cost --store postgres

History is bulk-loaded (real events, idempotency keys on every command as the
portal sends them), then snapshotted where the application would have taken
its last snapshot. Commands then rotate over the size classes one by one, so
machine noise falls on all classes alike; each class has enough customers that
the commands barely lengthen any one history.
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import Deadline, Report, latency_summary, parser, ratio, store_settings, versions
from bench.workload import COMPANY, CustomerScript, customer_with_history, open_company, run_op, store_events
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.wiring import open_runtime
from domain.customer import Customer
from domain.ids import customer_aggregate_id
from domain.service import CardLedger

SNAPSHOT_INTERVAL = CardLedger.snapshotting_intervals[Customer]


def main(argv: list[str] | None = None) -> Report:
    p = parser(__doc__)
    p.add_argument("--sizes", default="10,1000,10000", help="past events per customer")
    p.add_argument("--commands", type=int, default=300, help="commands per size class")
    p.add_argument("--seconds", type=float, default=30.0, help="time budget of the command phase")
    p.add_argument("--events-budget", type=int, default=60_000,
                   help="past events to load per size class (sets customers per class)")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    report = Report("history_cost", {"store": args.store, "sizes": sizes,
                                     "commands_per_class": args.commands,
                                     "seconds": args.seconds, "events_budget": args.events_budget,
                                     "snapshot_interval": SNAPSHOT_INTERVAL})
    with store_settings(args.store) as settings, \
            open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as rt:
        report.versions = versions(settings.postgres_dbname if args.store == "postgres" else None)
        ledger = rt.ledger
        open_company(ledger)
        classes: dict[int, list[CustomerScript]] = {}
        for size in sizes:
            count = max(1, min(args.commands, args.events_budget // size))
            classes[size] = [_seed(ledger, f"h{size}-{i}", size) for i in range(count)]
        latencies: dict[int, list[float]] = {size: [] for size in sizes}
        loads: dict[int, list[float]] = {size: [] for size in sizes}
        deadline = Deadline(args.seconds)
        for turn in range(args.commands):
            if deadline.passed():
                report.note(f"command phase stopped at its deadline after {turn} rounds")
                break
            for size in sizes:
                script = classes[size][turn % len(classes[size])]
                started = time.perf_counter()
                ledger.repository.get(customer_aggregate_id(COMPANY, script.customer))
                loads[size].append(time.perf_counter() - started)
                op = script.next()
                started = time.perf_counter()
                outcome = run_op(ledger, op)
                latencies[size].append(time.perf_counter() - started)
                script.done(outcome.card_id)
        for size in sizes:
            customers = classes[size]
            report.row(past_events=size, customers=len(customers),
                       snapshot_bytes=_snapshot_bytes(ledger, customers[0].customer),
                       load_p50_ms=latency_summary(loads[size])["p50_ms"],
                       **latency_summary(latencies[size]))
        base = latency_summary(latencies[sizes[0]])
        for size in sizes[1:]:
            other = latency_summary(latencies[size])
            report.figures[f"p50_ratio_{size}_vs_{sizes[0]}"] = ratio(other["p50_ms"], base["p50_ms"])
            report.figures[f"p99_ratio_{size}_vs_{sizes[0]}"] = ratio(other["p99_ms"], base["p99_ms"])
        if 1000 in sizes and sizes[0] == 10:
            report.goal("command p50 at 1,000 past events / at 10",
                        report.figures["p50_ratio_1000_vs_10"], 1.5, higher_is_better=False)
    report.finish(args.out_dir)
    return report


def _seed(ledger: CardLedger, customer: str, size: int) -> CustomerScript:
    """Store ``size`` past events and the snapshot the application would have."""
    aggregate, script = customer_with_history(customer, size)
    events = aggregate.collect_events()
    store_events(ledger, events)
    last = events[-1].originator_version
    if last >= SNAPSHOT_INTERVAL:
        ledger.take_snapshot(aggregate.id, version=last - last % SNAPSHOT_INTERVAL)
    return script


def _snapshot_bytes(ledger: CardLedger, customer: str) -> int:
    snapshots = ledger.snapshots
    if snapshots is None:
        return 0
    found: Any = snapshots.recorder.select_events(customer_aggregate_id(COMPANY, customer),
                                                  desc=True, limit=1)
    return len(found[0].state) if found else 0


if __name__ == "__main__":
    main()

"""5. Replay and rebuild: events/s rebuilding both views from scratch against the
raw rate of reading the notification log with the same page size.

    .venv/bin/python -m bench.rebuild --store postgres --events 1000000 --customers 100000

History is bulk-loaded with the library's recorder (real Customer events made by
the aggregate's own methods, mapped by the ledger's mapper), not by commands.
Each phase stops at --phase-seconds; a rate over a partial pass is still a rate.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from typing import Any

from bench.common import Deadline, Report, parser, ratio, store_settings, versions
from bench.workload import company_events, history_batches, store_events
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.wiring import Runtime, open_runtime
from projections.rebuild import rebuild
from projections.verify import verify


def main(argv: list[str] | None = None) -> Report:
    p = parser(__doc__)
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--customers", type=int, default=100_000)
    p.add_argument("--page", type=int, default=500, help="notifications per page (the projector's batch)")
    p.add_argument("--phase-seconds", type=float, default=60.0,
                   help="time budget of each read/rebuild phase")
    p.add_argument("--verify-up-to", type=int, default=200_000,
                   help="after a complete rebuild of at most this many events, run verify")
    p.add_argument("--profile", action="store_true",
                   help="profile the rebuild (cProfile) and keep the top functions")
    args = p.parse_args(argv)
    report = Report("rebuild", {"store": args.store, "events": args.events,
                                "customers": args.customers, "page": args.page,
                                "phase_seconds": args.phase_seconds})
    with store_settings(args.store, postgres_pool_size=2) as settings, \
            open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as rt:
        report.versions = versions(settings.postgres_dbname if args.store == "postgres" else None)
        total = load(rt, report, args.events, args.customers)
        raw = read_rate(rt, args.page, args.phase_seconds, decode=False)
        decoded = read_rate(rt, args.page, args.phase_seconds, decode=True)
        report.row(phase="read notification log (raw)", **raw)
        report.row(phase="read + decode to domain events", **decoded)
        rt.projector.batch_size = args.page
        incremental = rebuild_rate(rt, args.phase_seconds, report if args.profile else None)
        report.row(phase="incremental projection (reset + catch_up)", **incremental)
        rebuilt = bulk_rebuild_rate(rt)
        report.row(phase="rebuild-projections (staged in memory, bulk copy)", **rebuilt)
        share = ratio(rebuilt["events_per_s"], raw["events_per_s"])
        report.figures.update(events_stored=total,
                              rebuild_vs_raw_read=share,
                              rebuild_vs_decoded_read=ratio(rebuilt["events_per_s"],
                                                            decoded["events_per_s"]),
                              rebuild_complete=rebuilt["events"] >= total,
                              full_rebuild_estimate_s=round(total / rebuilt["events_per_s"], 1)
                              if rebuilt["events_per_s"] else None)
        report.goal("rebuild events/s as a share of raw log read", share, 0.5,
                    higher_is_better=True)
        if rebuilt["events"] >= total and total <= args.verify_up_to:
            # A faster rebuild is worth nothing if the views differ from the events.
            problems = verify(rt.ledger, rt.read_model)
            report.figures["verify_differences"] = len(problems)
            if problems:
                report.note(f"verify found {len(problems)} differences, e.g. {problems[0]}")
    report.finish(args.out_dir)
    return report


def load(rt: Runtime, report: Report, events: int, customers: int) -> int:
    started = time.perf_counter()
    store_events(rt.ledger, company_events())
    total = 2
    per_customer = max(1, events // max(1, customers))
    for batch in history_batches(0, customers, per_customer, batch_events=5000):
        store_events(rt.ledger, batch)
        total += len(batch)
    elapsed = time.perf_counter() - started
    if rt.settings.store == "postgres":
        # What autovacuum's analyze would do soon after a bulk load in production.
        with rt.read_model.db.transaction() as tx:
            tx.execute("ANALYZE cardledger_events")
    report.row(phase="bulk load (recorder.insert_events)", events=total,
               seconds=round(elapsed, 2), events_per_s=round(total / elapsed))
    return total


def read_rate(rt: Runtime, page: int, seconds: float, *, decode: bool) -> dict[str, Any]:
    recorder, mapper = rt.ledger.recorder, rt.ledger.mapper
    deadline = Deadline(seconds)
    position, count = 0, 0
    started = time.perf_counter()
    while not deadline.passed():
        notifications = recorder.select_notifications(start=position, limit=page,
                                                      inclusive_of_start=False)
        if not notifications:
            break
        if decode:
            for n in notifications:
                mapper.to_domain_event(n)
        count += len(notifications)
        position = notifications[-1].id
    elapsed = time.perf_counter() - started
    return {"events": count, "seconds": round(elapsed, 2),
            "events_per_s": round(count / elapsed) if elapsed else 0}


def bulk_rebuild_rate(rt: Runtime) -> dict[str, Any]:
    """What `cardledger rebuild-projections` does; runs to the end (not bounded
    by --phase-seconds: it is one transaction)."""
    started = time.perf_counter()
    count = rebuild(rt.ledger, rt.read_model)
    elapsed = time.perf_counter() - started
    return {"events": count, "seconds": round(elapsed, 2),
            "events_per_s": round(count / elapsed) if elapsed else 0}


def rebuild_rate(rt: Runtime, seconds: float, report: Report | None) -> dict[str, Any]:
    """Projector.catch_up after ReadModel.reset, as `cardledger rebuild-projections`
    does, but batch by batch so the phase can stop at its deadline."""
    rt.read_model.reset()
    deadline = Deadline(seconds)
    profiler = cProfile.Profile() if report else None
    count = 0
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    while not deadline.passed() and (applied := rt.projector.run_once()):
        count += applied
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    if profiler and report:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
        report.figures["profile_top_tottime"] = out.getvalue().splitlines()[:45]
    return {"events": count, "seconds": round(elapsed, 2),
            "events_per_s": round(count / elapsed) if elapsed else 0}


if __name__ == "__main__":
    main()

"""5. Rebuild at the speed of the log: `rebuild-projections` against a raw read
of the notification log, in the same run, phases interleaved.

    .venv/bin/python -m bench.rebuild --store postgres --events 1000000 --customers 100000

History is bulk-loaded with the library's recorder (real Customer events made by
the aggregate's own methods, mapped by the ledger's mapper), not by commands.
Then, --rounds times in turn: the raw read (the library's select_notifications,
--page per page, nothing decoded), the same read decoded by the library's mapper,
the same read decoded by the audit tools' decoder (projections/event_log.py),
the full rebuild (projections/rebuild.py: read, decode, fold, bulk-load,
one transaction), and the same rebuild with every event decoded into its
object (``fast=False``: what it did while every row took the slow path). Interleaving puts the machine's drift into every phase alike;
each phase's rate is the median of its rounds (wall clock; beside it, the
same ratio by this process's CPU time, which other load on a shared machine
does not move). The goal is rebuild / raw read >= 0.5. On PostgreSQL the
views are vacuumed after each rebuild, untimed, as autovacuum would soon after
one (``--back-to-back`` leaves them as a rebuild leaves them). Afterwards
verify checks the rebuilt views.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from bench.common import Report, admin_connection, parser, ratio, store_settings, versions
from bench.workload import company_events, history_batches, store_events
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import Settings
from cardledger.wiring import Runtime, open_runtime
from projections.event_log import Decoder
from projections.rebuild import rebuild
from projections.schema import VIEW_TABLES
from projections.verify import differences

SLOW = "rebuild-projections, every event decoded"


def main(argv: list[str] | None = None) -> Report:
    p = parser(__doc__)
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--customers", type=int, default=100_000)
    p.add_argument("--page", type=int, default=500, help="notifications per page of the reads")
    p.add_argument("--rounds", type=int, default=3, help="rounds of the interleaved phases")
    p.add_argument("--back-to-back", action="store_true",
                   help="PostgreSQL: no VACUUM of the views between phases, so each rebuild "
                        "meets the dead rows of the one before (see _vacuum_views)")
    p.add_argument("--verify-up-to", type=int, default=1_000_000,
                   help="after the rebuilds, run verify if at most this many events")
    args = p.parse_args(argv)
    report = Report("rebuild", {"store": args.store, "events": args.events,
                                "customers": args.customers, "page": args.page,
                                "rounds": args.rounds})
    with store_settings(args.store, postgres_pool_size=2) as settings, \
            open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as rt:
        report.versions = versions(settings.postgres_dbname if args.store == "postgres" else None)
        total = load(rt, report, args.events, args.customers)
        phases: dict[str, Callable[[], int]] = {
            "read notification log (raw)": lambda: read(rt, args.page, None),
            "read + decode (library mapper)": lambda: read(rt, args.page, "mapper"),
            "read + decode (audit decoder)": lambda: read(rt, args.page, "fast"),
            "rebuild-projections": lambda: rebuild(rt.ledger, rt.read_model),
            SLOW: lambda: rebuild(rt.ledger, rt.read_model, fast=False),
        }
        rates: dict[str, list[float]] = {name: [] for name in phases}
        cpu_rates: dict[str, list[float]] = {name: [] for name in phases}
        for round_ in range(1, args.rounds + 1):
            for name, phase in phases.items():
                started, cpu_started = time.perf_counter(), time.process_time()
                events = phase()
                seconds = time.perf_counter() - started
                cpu = time.process_time() - cpu_started
                rates[name].append(events / seconds)
                cpu_rates[name].append(events / cpu)
                report.row(phase=name, round=round_, events=events, seconds=round(seconds, 2),
                           events_per_s=round(events / seconds), cpu_s=round(cpu, 2))
                if name.startswith("rebuild") and args.store == "postgres" and not args.back_to_back:
                    report.row(phase="vacuum views (untimed)", round=round_,
                               seconds=round(_vacuum_views(settings), 2))
        median = {name: statistics.median(values) for name, values in rates.items()}
        cpu_median = {name: statistics.median(values) for name, values in cpu_rates.items()}
        # Our own process's CPU seconds: robust to other load on a shared machine,
        # but blind to the PostgreSQL server's work (so only a figure beside the goal).
        report.figures["rebuild_vs_raw_read_by_own_cpu"] = ratio(
            cpu_median["rebuild-projections"], cpu_median["read notification log (raw)"])
        raw = median["read notification log (raw)"]
        share = ratio(median["rebuild-projections"], raw)
        report.figures.update(
            events_stored=total,
            median_events_per_s={name: round(value) for name, value in median.items()},
            rebuild_vs_raw_read=share,
            decode_mapper_vs_raw_read=ratio(median["read + decode (library mapper)"], raw),
            decode_audit_vs_raw_read=ratio(median["read + decode (audit decoder)"], raw),
            rebuild_every_event_decoded_vs_raw_read=ratio(median[SLOW], raw),
            rebuild_fast_vs_every_event_decoded=ratio(median["rebuild-projections"], median[SLOW]),
            rebuild_every_event_decoded_vs_raw_read_by_own_cpu=ratio(
                cpu_median[SLOW], cpu_median["read notification log (raw)"]),
            rebuild_vs_raw_read_per_round=[ratio(r, w) for r, w in zip(
                rates["rebuild-projections"], rates["read notification log (raw)"], strict=True)],
            full_rebuild_s=round(total / median["rebuild-projections"], 1))
        report.goal("rebuild events/s as a share of raw log read", share, 0.5,
                    higher_is_better=True)
        if total <= args.verify_up_to:
            # A faster rebuild is worth nothing if the views differ from the events.
            found = [str(d) for d in differences(rt.ledger, rt.read_model)]
            report.figures["verify_differences"] = len(found)
            if found:
                report.note(f"verify found {len(found)} differences, e.g. {found[0]}")
    report.finish(args.out_dir)
    return report


def _vacuum_views(settings: Settings) -> float:
    """What autovacuum does soon after a rebuild commits: every row the
    rebuild replaced is dead then (it deleted them all), and the next rebuild
    would otherwise COPY into tables and indexes twice their size. A rebuild
    in production meets views autovacuum has kept; back to back, a second
    or so after the last one, it would not (``--back-to-back`` measures that)."""
    started = time.perf_counter()
    with admin_connection(settings.postgres_dbname) as conn:
        conn.execute(f"VACUUM (ANALYZE) {', '.join(VIEW_TABLES)}")
    return time.perf_counter() - started


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


def read(rt: Runtime, page: int, decoder: str | None) -> int:
    """The whole log, page by page; decoded by the mapper or the audit decoder."""
    recorder, mapper = rt.ledger.recorder, rt.ledger.mapper
    fast = Decoder(rt.ledger)
    position, count = 0, 0
    while notifications := recorder.select_notifications(start=position, limit=page,
                                                         inclusive_of_start=False):
        if decoder == "mapper":
            for n in notifications:
                mapper.to_domain_event(n)
        elif decoder == "fast":
            for n in notifications:
                fast(n.originator_id, n.originator_version, n.topic, n.state)
        count += len(notifications)
        position = notifications[-1].id
    return count


if __name__ == "__main__":
    main()

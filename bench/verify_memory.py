"""Verify's memory stays flat as the log grows: peak RSS of `cardledger verify`
at each log size, in a fresh process each time.

    .venv/bin/python -m bench.verify_memory --store postgres --sizes 50000,200000,500000,1000000

One store grows through the sizes (each step bulk-loads more customers of
--events-per-customer events with the library's recorder, then
`rebuild-projections` brings the views to the head). At each size `cardledger
verify` runs as a subprocess; its peak RSS comes from the kernel (wait4's
ru_maxrss), its time from the wall clock. The goal: peak RSS at the largest
size within 1.25x of the smallest (memory does not grow with the log).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.common import Report, parser, ratio, settings_env, store_settings, versions
from bench.workload import company_events, history_batches, store_events
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.wiring import open_runtime
from projections.rebuild import rebuild


def main(argv: list[str] | None = None) -> Report:
    p = parser(__doc__)
    p.add_argument("--sizes", default="50000,200000,500000,1000000",
                   help="log sizes (events) to verify at, ascending")
    p.add_argument("--events-per-customer", type=int, default=10)
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    report = Report("verify_memory", {"store": args.store, "sizes": sizes,
                                      "events_per_customer": args.events_per_customer})
    per_customer = args.events_per_customer
    with store_settings(args.store, postgres_pool_size=2) as settings, \
            open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as rt:
        report.versions = versions(settings.postgres_dbname if args.store == "postgres" else None)
        env = settings_env(settings)
        store_events(rt.ledger, company_events())
        stored, customers = 2, 0
        for size in sizes:
            started = time.perf_counter()
            while stored < size:
                # Customers a block at a time, until the log has grown to the size.
                block = max(1, min(1000, (size - stored) // per_customer))
                for batch in history_batches(customers, block, per_customer,
                                             batch_events=5000):
                    store_events(rt.ledger, batch)
                    stored += len(batch)
                customers += block
            loaded = time.perf_counter() - started
            rebuild(rt.ledger, rt.read_model)
            if args.store == "postgres":
                with rt.read_model.db.transaction() as tx:
                    tx.execute("ANALYZE")
            seconds, peak_kib, code, last_line = run_verify(env)
            report.row(events=stored, customers=customers, load_s=round(loaded, 1),
                       verify_s=round(seconds, 1), verify_events_per_s=round(stored / seconds),
                       peak_rss_mib=round(peak_kib / 1024, 1), exit_code=code,
                       result=last_line)
    rss = [row["peak_rss_mib"] for row in report.rows]
    growth = ratio(rss[-1], rss[0]) if rss else None
    report.figures.update(peak_rss_mib_by_events={row["events"]: row["peak_rss_mib"]
                                                  for row in report.rows},
                          peak_rss_largest_vs_smallest=growth)
    report.goal("verify peak RSS, largest vs smallest log", growth, 1.25, higher_is_better=False)
    report.finish(args.out_dir)
    return report


def run_verify(env: dict[str, str]) -> tuple[float, int, int, str]:
    """(seconds, peak RSS in KiB, exit code, last line of output) of one verify."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "verify"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    lines = process.stdout.read().splitlines()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return (time.perf_counter() - started, usage.ru_maxrss, process.returncode,
            lines[-1] if lines else "")


if __name__ == "__main__":
    main()

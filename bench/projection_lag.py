"""3. Projection lag: from a command's commit to its visibility in the card list
and history, p50/p99, while commands keep arriving at a steady rate.

    .venv/bin/python -m bench.projection_lag --store postgres --rate 100 --seconds 15

The projection worker is the production one, `cardledger project`, in its own
process. Writers here run commands at --rate per second (open loop, spread over
--writers threads) and note when each commit returned and its position. An
observer thread polls the views' tracking position every --observe-ms on its own
connection; since the views and their position commit in one transaction, the
first time the position reaches a command's position is when the card list and
history show it. Lag = that moment - the commit's return.

The writers leave every change to the worker (CARDLEDGER_INLINE_VIEWS=false)
unless --inline-views on: then each commit writes its own views whenever they
are current (the default setting, docs/command-path.md §3), and what is measured
is mostly that, with the worker taking only what the writers skipped.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import (
    Report,
    admin_connection,
    interrupt,
    latency_summary,
    parser,
    rss_kib,
    settings_env,
    store_settings,
    versions,
)
from bench.workload import open_company, run_op, scripts
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import Settings
from cardledger.wiring import open_runtime
from projections.read_model import NAME

CLI = Path(sys.executable).with_name("cardledger")


def main(argv: list[str] | None = None) -> Report:
    p = parser(__doc__)
    p.add_argument("--rate", type=float, default=100.0, help="commands per second")
    p.add_argument("--seconds", type=float, default=15.0, help="length of each phase")
    p.add_argument("--writers", type=int, default=4)
    p.add_argument("--customers", type=int, default=400)
    p.add_argument("--observe-ms", type=float, default=1.0)
    p.add_argument("--inline-views", choices=["off", "on"], default="off",
                   help="off: the worker applies every change (its lag); on: the default "
                        "setting, commits write their own views when current")
    p.add_argument("--poll-intervals", default="default,0.01",
                   help="the worker's CARDLEDGER_PROJECTION_POLL_INTERVAL, one phase each "
                        "('default' = the setting's default)")
    args = p.parse_args(argv)
    intervals = [None if v == "default" else float(v) for v in args.poll_intervals.split(",")]
    with store_settings(args.store, projections="external",
                        inline_views=args.inline_views == "on") as settings:
        report = Report("projection_lag", {
            "inline_views": args.inline_views,
            "store": args.store, "rate": args.rate, "seconds": args.seconds,
            "writers": args.writers, "customers": args.customers,
            "observe_ms": args.observe_ms, "poll_intervals": args.poll_intervals})
        report.versions = versions(settings.postgres_dbname if args.store == "postgres" else None)
        with open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as rt:
            open_company(rt.ledger)
            for phase, interval in enumerate(intervals):
                phase_settings = settings if interval is None else settings.model_copy(
                    update={"projection_poll_interval": interval})
                args.prefix = f"lag{phase}-"
                row = measure(rt, phase_settings, args, report)
                if phase == 0:
                    report.figures["lag_p99_ms"] = row["p99_ms"]
                    report.goal("projection lag p99 (ms), default poll interval",
                                row["p99_ms"], 100.0, higher_is_better=False)
        report.note(f"observer polls every {args.observe_ms} ms; the worker polls the log every "
                    "poll_interval when it has nothing to do")
    report.finish(args.out_dir)
    return report


def measure(rt: Any, settings: Settings, args: Any, report: Report) -> dict[str, Any]:
    """One phase: a fresh worker, steady commands, the lag of each."""
    worker = start_worker(settings)
    try:
        observer = Observer(settings, args.observe_ms / 1000)
        observer.start()
        commits = write(rt.ledger, args)
        caught_up = observer.wait_for(max(pos for pos, _ in commits), timeout=60)
        observer.stop()
        rss = round((rss_kib(worker.pid) or 0) / 1024, 1)
    finally:
        stop_worker(worker)
    lags = [seen - at for pos, at in commits if (seen := observer.seen_at(pos)) is not None]
    report.figures["worker_rss_mib"] = rss
    return report.row(poll_interval_ms=round(settings.projection_poll_interval * 1000, 1),
                      commands=len(commits),
                      achieved_rate=round(len(commits) / args.seconds, 1),
                      caught_up=caught_up, worker_rss_mib=rss, **latency_summary(lags))


def start_worker(settings: Settings, command: str = "project",
                 ready: str = "projecting") -> subprocess.Popen[str]:
    """A production worker (`cardledger project`, `cardledger relay`), started
    when it prints its first line, which has ``ready`` in it."""
    worker = subprocess.Popen([str(CLI), command], env=settings_env(settings),  # noqa: S603
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert worker.stdout is not None
    line = worker.stdout.readline()
    while line and ready not in line and "cardledger:" not in line:
        line = worker.stdout.readline()  # warnings while e.g. a broker comes up
    if ready not in line:
        worker.kill()
        raise RuntimeError(f"`cardledger {command}` did not start: {line.strip()}")
    threading.Thread(target=worker.stdout.read, daemon=True).start()  # keep the pipe drained
    return worker


def stop_worker(worker: subprocess.Popen[str]) -> None:
    interrupt(worker, timeout=10)


def write(ledger: Any, args: Any) -> list[tuple[int, float]]:
    """Open loop: command i of a writer is due at start + i * writers / rate."""
    per_writer = args.customers // args.writers
    commits: list[tuple[int, float]] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.1
    interval = args.writers / args.rate

    def writer(w: int) -> None:
        mine = scripts(w * per_writer, per_writer, prefix=getattr(args, "prefix", "lag-"))
        i = 0
        while True:
            due = start + i * interval + w * interval / args.writers
            if due - start >= args.seconds:
                return
            time.sleep(max(0.0, due - time.perf_counter()))
            script = mine[i % len(mine)]
            op = script.next()
            outcome = run_op(ledger, op)
            at = time.perf_counter()
            script.done(outcome.card_id)
            if outcome.position is not None:
                with lock:
                    commits.append((outcome.position, at))
            i += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(args.writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return commits


class Observer(threading.Thread):
    """Polls a worker's tracking position (by default the views') and notes when
    each value first appeared."""

    def __init__(self, settings: Settings, interval: float, *, table: str = "cl_tracking",
                 name: str = NAME) -> None:
        super().__init__(name="observer", daemon=True)
        self.settings = settings
        self.interval = interval
        self.table = table
        self.tracking_name = name
        self.changes: list[tuple[int, float]] = []  # (position, first seen)
        self._halt = threading.Event()

    def run(self) -> None:
        read = self._reader()
        last = -1
        while not self._halt.is_set():
            position = read()
            if position != last:
                self.changes.append((position, time.perf_counter()))
                last = position
            time.sleep(self.interval)

    def _reader(self) -> Any:
        sql = f"SELECT position FROM {self.table} WHERE name = "  # noqa: S608 (fixed names)
        name = self.tracking_name

        def first(row: Any) -> int:
            return int(row[0]) if row else 0

        if self.settings.store == "sqlite":
            conn = sqlite3.connect(self.settings.sqlite_path, check_same_thread=False)
            return lambda: first(conn.execute(sql + "?", (name,)).fetchone())
        pg = admin_connection(self.settings.postgres_dbname)
        return lambda: first(pg.execute(sql + "%s", (name,)).fetchone())

    def seen_at(self, position: int) -> float | None:
        for seen, at in self.changes:
            if seen >= position:
                return at
        return None

    def wait_for(self, position: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.changes and self.changes[-1][0] >= position:
                return True
            time.sleep(0.01)
        return False

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()

"""1. Command path: the HTTP API (add card / set primary / delete) at 1, 8, 32 and
64 concurrent clients and open loop at 200 requests/s, side by side with the
same commands without HTTP, the library's bare append, and pgbench.

    .venv/bin/python -m bench.command_path --store postgres --workers 2

Phases, in this order, all on one throwaway store in one run so their ratios are fair:
  http        `cardledger serve --workers N` (subprocess); load from bench.loadgen
              (its own process): closed loop per concurrency, then open loop at --rate
  direct      the same mix straight into CardLedger (bench.direct, N processes,
              as many as API workers), no HTTP
  recorder    the library's bare append: recorder.insert_events of the same mapped
              events, one command's events per call, then batched several commands a call
  pgbench     (PostgreSQL) the same rows into a copy of the events table: with the
              library's LOCK TABLE ... IN EXCLUSIVE MODE + NOTIFY, without the lock,
              plain, and batched
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from glob import glob
from pathlib import Path
from typing import Any

from bench.common import (
    PG_HOST,
    PG_PORT,
    PG_USER,
    Deadline,
    Report,
    admin_connection,
    latency_summary,
    library_insert_events,
    parser,
    ratio,
    settings_env,
    store_settings,
    versions,
)
from bench.server import PORTAL_KEY, api_server
from bench.workload import command_events, open_company
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import Settings
from cardledger.wiring import Runtime, open_runtime


def main(argv: list[str] | None = None) -> Report:
    p = parser(__doc__)
    p.add_argument("--workers", type=int, default=2, help="API worker processes")
    p.add_argument("--concurrency", default="1,8,32,64", help="closed-loop HTTP clients")
    p.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    p.add_argument("--rate", type=float, default=200.0, help="open-loop requests/s (the goal's)")
    p.add_argument("--extra-rates", default="50",
                   help="more open-loop rates, e.g. one the API can sustain ('' for none)")
    p.add_argument("--direct-concurrency", default="1,8")
    p.add_argument("--batches", default="10,100", help="commands per bare append call")
    p.add_argument("--projections", choices=("inprocess", "external"), default="inprocess",
                   help="CARDLEDGER_PROJECTIONS of the API workers")
    p.add_argument("--no-wait-concurrency", type=int, default=8,
                   help="clients for the API run without the read-your-writes wait (0: skip)")
    p.add_argument("--skip", default="", help="phases to skip: http,direct,recorder,pgbench")
    args = p.parse_args(argv)
    args.extra_rates = [float(r) for r in args.extra_rates.split(",") if r]
    skip = set(filter(None, args.skip.split(",")))
    report = Report("command_path", {
        "store": args.store, "workers": args.workers, "concurrency": args.concurrency,
        "seconds": args.seconds, "rate": args.rate, "extra_rates": args.extra_rates,
        "direct_concurrency": args.direct_concurrency, "batches": args.batches,
        "projections": args.projections, "no_wait_concurrency": args.no_wait_concurrency,
        "skip": sorted(skip)})
    with store_settings(args.store, projections=args.projections) as settings, \
            open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as rt, \
            tempfile.TemporaryDirectory(prefix="cardledger-bench-") as tmp:
        report.versions = versions(settings.postgres_dbname if args.store == "postgres" else None)
        open_company(rt.ledger)
        figures: dict[str, float] = {}
        # HTTP first, on a fresh store: the API's commands wait until the views
        # show them, so it must not start with other phases' events to project.
        if "http" not in skip:
            figures |= http_phase(rt, settings, args, report, Path(tmp))
        if "direct" not in skip:
            figures |= direct_phase(rt, settings, args, report)
        if "recorder" not in skip:
            figures |= recorder_phase(rt, args, report)
        if "pgbench" not in skip and args.store == "postgres":
            figures |= pgbench_phase(rt, settings, args, report, Path(tmp))
        summarise(report, figures, args)
    report.finish(args.out_dir)
    return report


def head(rt: Runtime) -> int:
    return rt.ledger.recorder.max_notification_id() or 0


# --- HTTP --------------------------------------------------------------------------------


def http_phase(rt: Runtime, settings: Settings, args: Any, report: Report,
               tmp: Path) -> dict[str, float]:
    figures: dict[str, float] = {}
    with api_server(settings, args.workers, tmp) as server:
        for c in [int(x) for x in args.concurrency.split(",")]:
            result = loadgen(rt, server.url, ["--mode", "closed", "--concurrency", str(c)],
                             args, prefix=f"h{c}-")
            _note_errors(report, f"http c={c}", result)
            row = report.row(phase="http", concurrency=c, **result)
            figures[f"http_c{c}_cps"] = row["commands_per_s"]
        for rate in [args.rate, *args.extra_rates]:
            result = loadgen(rt, server.url, ["--mode", "open", "--rate", str(rate)],
                             args, prefix=f"open{rate:.0f}-")
            _note_errors(report, f"http open loop {rate:.0f}/s", result)
            row = report.row(phase="http open loop", concurrency=f"{rate:.0f}/s", **result)
            figures[f"open{rate:.0f}_p99_ms"] = row["p99_ms"]
            figures[f"open{rate:.0f}_achieved_cps"] = row["commands_per_s"]
        report.figures["api_worker_rss_mib"] = server.worker_rss_mib()
    if args.no_wait_concurrency:
        # What read-your-writes costs: the same API answering without waiting for
        # the views (no projector at all; commands never read the views).
        quick = settings.model_copy(update={"projections": "external",
                                            "read_your_writes_timeout": 0.0})
        c = args.no_wait_concurrency
        with api_server(quick, args.workers, tmp) as server:
            result = loadgen(rt, server.url, ["--mode", "closed", "--concurrency", str(c)],
                             args, prefix=f"nw{c}-")
        _note_errors(report, "http no wait", result)
        row = report.row(phase="http, no read-your-writes wait", concurrency=c, **result)
        figures["http_nowait_cps"] = row["commands_per_s"]
        figures["http_nowait_concurrency"] = c
    return figures


def loadgen(rt: Runtime, url: str, mode: list[str], args: Any, prefix: str) -> dict[str, Any]:
    before = head(rt)
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.loadgen", "--url", url, "--key", PORTAL_KEY,
         "--seconds", str(args.seconds), "--prefix", prefix, *mode],
        capture_output=True, text=True, timeout=args.seconds + 120)
    if out.returncode != 0:
        raise RuntimeError(f"the load generator failed: {out.stderr[-3000:]}")
    result = json.loads(out.stdout)
    events = head(rt) - before
    ok = sum(n for status, n in result["statuses"].items() if status < "300")
    return {"commands": ok, "commands_per_s": round(ok / result["seconds"], 1),
            "events_per_s": round(events / result["seconds"], 1),
            "events_per_command": round(events / ok, 2) if ok else None,
            "failed": len(result["latencies"]) - ok,
            "transport_errors": sum(result["transport_errors"].values()),
            "error_sample": next(iter(result["errors"] or result["transport_errors"]), None),
            **_latency(result["latencies"])}


def _note_errors(report: Report, phase: str, result: dict[str, Any]) -> None:
    sample = result.pop("error_sample")
    if result["failed"] or result["transport_errors"]:
        report.note(f"{phase}: {result['failed']} error answers, "
                    f"{result['transport_errors']} without answer; e.g. {sample}")


def _latency(latencies: list[float]) -> dict[str, Any]:
    summary = latency_summary(latencies)
    return {k: summary[k] for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")}


# --- CardLedger directly -----------------------------------------------------------------


def direct_phase(rt: Runtime, settings: Settings, args: Any,
                 report: Report) -> dict[str, float]:
    figures: dict[str, float] = {}
    for c in [int(x) for x in args.direct_concurrency.split(",")]:
        processes = max(1, min(args.workers, c))
        before = head(rt)
        runs = [subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "bench.direct", "--concurrency", str(c // processes),
             "--seconds", str(args.seconds), "--prefix", f"d{c}-{n}-"],
            env=settings_env(settings), stdout=subprocess.PIPE, text=True)
            for n in range(processes)]
        results = [json.loads(r.communicate(timeout=args.seconds + 120)[0]) for r in runs]
        seconds = max(r["seconds"] for r in results)
        latencies = [x for r in results for x in r["latencies"]]
        events = head(rt) - before
        row = report.row(phase="direct (CardLedger, no HTTP)", concurrency=c,
                         processes=processes, commands=len(latencies),
                         commands_per_s=round(len(latencies) / seconds, 1),
                         events_per_s=round(events / seconds, 1),
                         events_per_command=round(events / len(latencies), 2) if latencies else None,
                         failed=sum(r["failed"] for r in results), **_latency(latencies))
        figures[f"direct_c{c}_cps"] = row["commands_per_s"]
        figures["events_per_command"] = row["events_per_command"] or 1.0
    return figures


# --- the library's bare append ----------------------------------------------------------


def recorder_phase(rt: Runtime, args: Any, report: Report) -> dict[str, float]:
    """recorder.insert_events of prebuilt stored events: the library's append
    with nothing of cardledger's (no load, no rules, no HTTP)."""
    figures: dict[str, float] = {}
    budget = max(0.5, args.seconds / 2)
    for threads in (1, 8):
        pool = _stored_groups(rt, customers=int(300 * budget), commands=6)
        row = _append(rt, pool, threads, 1, budget)
        report.row(phase="recorder.insert_events", concurrency=threads, **row)
        figures[f"recorder_c{threads}_cps"] = row["commands_per_s"]
    for batch in [int(b) for b in args.batches.split(",")]:
        pool = _stored_groups(rt, customers=int(min(300 * batch, 3000) * budget), commands=6)
        row = _append(rt, pool, 1, batch, budget)
        report.row(phase=f"recorder.insert_events, {batch} commands a call", concurrency=1, **row)
        figures[f"recorder_batch{batch}_eps"] = row["events_per_s"]
    return figures


def _stored_groups(rt: Runtime, customers: int, commands: int) -> list[list[Any]]:
    """Per customer, per command: the stored events. The customers' first commands
    (which also register them) are stored here, untimed, so the timed appends are
    steady-state commands like most of the HTTP load's."""
    mapper = rt.ledger.mapper
    stamp = f"{time.time_ns():x}"
    groups = []
    for n in range(customers):
        for events in command_events(f"raw-{stamp}-{n}", commands):
            groups.append([mapper.to_stored_event(e) for e in events])
    firsts = [e for g in groups[::commands] for e in g]
    for i in range(0, len(firsts), 3000):
        rt.ledger.recorder.insert_events(firsts[i:i + 3000])
    # Command k of every customer before command k+1 of any: versions stay in order.
    return [groups[n * commands + k] for k in range(1, commands) for n in range(customers)]


def _append(rt: Runtime, pool: list[list[Any]], threads: int, batch: int,
            seconds: float) -> dict[str, Any]:
    insert_events = library_insert_events(rt.ledger.recorder)
    lock = threading.Lock()
    latencies: list[float] = []
    counts = {"commands": 0, "events": 0}
    deadline = Deadline(seconds)

    def take() -> list[list[Any]]:
        with lock:
            taken = pool[:batch]
            del pool[:batch]
            return taken

    def run() -> None:
        while not deadline.passed() and (groups := take()):
            events = [e for g in groups for e in g]
            started = time.perf_counter()
            insert_events(events)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                counts["commands"] += len(groups)
                counts["events"] += len(events)

    started = time.perf_counter()
    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    return {"commands": counts["commands"],
            "commands_per_s": round(counts["commands"] / elapsed, 1),
            "events_per_s": round(counts["events"] / elapsed, 1),
            "events_per_command": round(counts["events"] / max(1, counts["commands"]), 2),
            "exhausted": not pool, **_latency(latencies)}


# --- pgbench ------------------------------------------------------------------------------


def pgbench_binary() -> str | None:
    return shutil.which("pgbench") or next(iter(sorted(glob("/usr/lib/postgresql/*/bin/pgbench"),
                                                       reverse=True)), None)


def pgbench_phase(rt: Runtime, settings: Settings, args: Any, report: Report,
                  tmp: Path) -> dict[str, float]:
    binary = pgbench_binary()
    if binary is None:
        report.note("pgbench not found: database-limit phase skipped")
        return {}
    topic, state = _sample_row(rt)
    with admin_connection(settings.postgres_dbname) as conn:
        conn.execute("CREATE TABLE bench_events (originator_id uuid NOT NULL, "
                     "originator_version bigint NOT NULL, topic text, state bytea, "
                     "notification_id bigserial, PRIMARY KEY (originator_id, originator_version))")
        conn.execute("CREATE UNIQUE INDEX ON bench_events (notification_id)")
    per_command = 1
    events_per_command = report.rows and next(
        (r.get("events_per_command") for r in report.rows if r.get("events_per_command")), None)
    if events_per_command:
        per_command = max(1, round(float(events_per_command)))
    variants = [
        ("lock+notify (library)", 8, 1, True, True),
        ("lock+notify (library)", 1, 1, True, True),
        ("notify, no lock", 8, 1, False, True),
        ("no lock, no notify", 8, 1, False, False),
        ("lock+notify, 20 commands a transaction", 8, 20, True, True),
    ]
    figures: dict[str, float] = {}
    seconds = max(1, round(args.seconds / 2))
    for name, clients, commands, lock, notify in variants:
        script = tmp / f"pgbench-{len(figures)}.sql"
        script.write_text(_script(topic, state, per_command * commands, lock, notify))
        out = subprocess.run(  # noqa: S603
            [binary, "-n", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER,
             "-f", str(script), "-c", str(clients), "-j", str(min(clients, 2)),
             "-T", str(int(seconds)), settings.postgres_dbname],
            capture_output=True, text=True, timeout=seconds + 60)
        tps = _number(r"tps = ([\d.]+)", out.stdout)
        latency = _number(r"latency average = ([\d.]+) ms", out.stdout)
        if tps is None:
            report.note(f"pgbench {name} failed: {(out.stderr or out.stdout)[-300:]}")
            continue
        row = report.row(phase=f"pgbench {name}", concurrency=clients,
                         commands_per_s=round(tps * commands, 1),
                         events_per_s=round(tps * commands * per_command, 1),
                         events_per_command=per_command, mean_ms=latency)
        key = f"pgbench_{'lock' if lock else 'nolock'}{'' if notify else '_nonotify'}_c{clients}"
        figures[key + (f"_batch{commands}" if commands > 1 else "") + "_eps"] = row["events_per_s"]
    return figures


def _sample_row(rt: Runtime) -> tuple[str, bytes]:
    events = command_events("pgbench-sample", 1)[0]
    stored = rt.ledger.mapper.to_stored_event(events[1])  # a CardAdded, the largest event
    return stored.topic, stored.state


def _script(topic: str, state: bytes, rows: int, lock: bool, notify: bool) -> str:
    values = ", ".join(f"(gen_random_uuid(), {v}, '{topic}', '\\x{state.hex()}'::bytea)"
                       for v in range(1, rows + 1))
    lines = ["BEGIN;", "SET LOCAL lock_timeout = '5s';"]
    if lock:
        lines.append("LOCK TABLE bench_events IN EXCLUSIVE MODE;")
    if notify:
        lines.append("NOTIFY bench_events;")
    lines += [f"INSERT INTO bench_events (originator_id, originator_version, topic, state) "
              f"VALUES {values} RETURNING notification_id;", "END;"]
    return "\n".join(lines) + "\n"


def _number(pattern: str, text: str) -> float | None:
    found = re.search(pattern, text)
    return float(found.group(1)) if found else None


# --- summary --------------------------------------------------------------------------------


def summarise(report: Report, figures: dict[str, float], args: Any) -> None:
    report.figures["figures"] = figures
    http = {k: v for k, v in figures.items() if k.startswith("http_c")}
    best_http = max(http.values(), default=0.0)
    best_direct = max((v for k, v in figures.items() if k.startswith("direct_c")), default=0.0)
    best_recorder = max((v for k, v in figures.items() if k.startswith("recorder_c")),
                        default=0.0)
    if http:
        share = ratio(best_http, best_recorder)
        report.figures["api_vs_library_append"] = share
        report.figures["api_vs_direct_commands"] = ratio(best_http, best_direct)
        report.goal("API commands/s as a share of the library's bare append (best of each)",
                    share, 0.6, higher_is_better=True)
    if "http_nowait_cps" in figures:
        same = figures.get(f"http_c{figures['http_nowait_concurrency']:.0f}_cps", 0.0)
        report.figures["api_without_wait_vs_with"] = ratio(figures["http_nowait_cps"], same)
        report.figures["api_without_wait_vs_library_append"] = ratio(figures["http_nowait_cps"],
                                                                     best_recorder)
    if f"open{args.rate:.0f}_p99_ms" in figures:
        report.goal(f"API p99 (ms) at {args.rate:.0f} requests/s open loop",
                    figures[f"open{args.rate:.0f}_p99_ms"], 25.0, higher_is_better=False)
    lock = figures.get("pgbench_lock_c8_eps")
    if lock:
        report.figures["pgbench_nolock_vs_lock"] = ratio(figures.get("pgbench_nolock_c8_eps", 0),
                                                         lock)
        report.figures["pgbench_batch20_vs_single"] = ratio(
            figures.get("pgbench_lock_c8_batch20_eps", 0), lock)
        report.figures["library_append_vs_pgbench"] = ratio(
            best_recorder * figures.get("events_per_command", 1.0), lock)
    if "recorder_c1_cps" in figures:
        batches = [int(b) for b in args.batches.split(",")]
        single = figures["recorder_c1_cps"] * figures.get("events_per_command", 1.0)
        for b in batches:
            report.figures[f"recorder_batch{b}_vs_single_eps"] = ratio(
                figures.get(f"recorder_batch{b}_eps", 0), single)


if __name__ == "__main__":
    main()

"""The command path against the library's bare append, phases interleaved.

    .venv/bin/python -m bench.pipeline --store postgres --seconds 5 --rounds 2

One throwaway store, two `cardledger serve --workers N` servers started once
(group commit on, and off) and, on PostgreSQL, production's layout: the
workers run CARDLEDGER_PROJECTIONS=external and one `cardledger project`
process keeps the views for every server (its CPU counts as the measured
server's). Per round, for each concurrency in turn:
  append      the library's own insert_events of one command's prebuilt events
              per call, c threads (the anchor: nothing of cardledger's, no HTTP)
  http        the API, c closed-loop clients (bench.loadgen: add, add, set
              primary, delete, delete per customer), group commit on
  http-single the same with group commit off (one insert per command)
  http-base   (with --baseline DIR) the API served from another source tree, e.g.
              `git archive <commit> | tar -x -C DIR`: before and after a change,
              both against the same anchor, group commit on; http_vs_base_c* is
              the two divided directly (adjacent phases), median over rounds
Each HTTP row also has server_cpu_ms_per_command: the CPU the server's
processes used in the phase (/proc) per command served, a cost that other
load on the machine does not move (figures http*_cpu_ms_c*: median over rounds),
and busiest_worker_pct: the busiest API worker's share of the workers' CPU
(the kernel hands a few long-lived connections to the workers unevenly).
The anchor moves with the machine's load (it moved 2x between phases before),
so each HTTP figure is divided by the anchor measured right before it, and the
ratio's median over rounds is the figure. Then open loop at --rate.
"""

from __future__ import annotations

import statistics
import tempfile
from contextlib import ExitStack
from pathlib import Path

from bench.command_path import _append, _note_errors, _stored_groups, loadgen
from bench.common import Report, cpu_seconds, parser, ratio, store_settings, versions
from bench.server import Server, api_server, views_projector
from bench.workload import open_company
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.wiring import open_runtime


def main(argv: list[str] | None = None) -> Report:
    p = parser(__doc__)
    p.add_argument("--workers", type=int, default=2, help="API worker processes")
    p.add_argument("--concurrency", default="1,8,32")
    p.add_argument("--seconds", type=float, default=5.0, help="length of each phase")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--rate", type=float, default=200.0, help="open-loop requests/s")
    p.add_argument("--baseline", type=Path, default=None,
                   help="also serve this source tree (an older commit) as phase http-base")
    p.add_argument("--projections", choices=("external", "inprocess"), default=None,
                   help="external (PostgreSQL's default: production's layout): the workers "
                        "plus one `cardledger project` process, its CPU counted as the "
                        "server's; inprocess (SQLite's default): a projector thread in "
                        "every worker")
    p.add_argument("--no-single", action="store_true",
                   help="skip the group-commit-off server (http-single)")
    args = p.parse_args(argv)
    if args.projections is None:
        args.projections = "external" if args.store == "postgres" else "inprocess"
    levels = [int(c) for c in args.concurrency.split(",")]
    report = Report("pipeline", {k: v for k, v in vars(args).items() if k != "out_dir"})
    with store_settings(args.store, projections=args.projections) as settings, \
            open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as rt, \
            tempfile.TemporaryDirectory(prefix="cardledger-bench-") as tmp:
        report.versions = versions(settings.postgres_dbname if args.store == "postgres" else None)
        open_company(rt.ledger)
        single = settings.model_copy(update={"group_commit": False})
        ratios: dict[str, list[float]] = {}
        served: dict[str, float] = {}  # this round's commands/s per phase and level
        with ExitStack() as servers:
            projector = servers.enter_context(views_projector(settings, Path(tmp))) \
                if args.projections == "external" else None

            def used_cpu(server: Server) -> float:
                return server.cpu_seconds() + (cpu_seconds(projector.pid) if projector else 0.0)

            grouped = servers.enter_context(api_server(settings, args.workers, Path(tmp)))
            phases = [("http", grouped)]
            if not args.no_single:
                phases.append(("http-single", servers.enter_context(
                    api_server(single, args.workers, Path(tmp)))))
            if args.baseline is not None:
                phases.append(("http-base", servers.enter_context(
                    api_server(settings, args.workers, Path(tmp), source=args.baseline))))
            for n in range(args.rounds):
                for c in levels:
                    pool = _stored_groups(rt, customers=int(300 * args.seconds), commands=6)
                    anchor = _append(rt, pool, c, 1, args.seconds)
                    report.row(round=n, phase="append", concurrency=c,
                               **{k: anchor[k] for k in ("commands_per_s", "p50_ms", "p99_ms")})
                    # Alternate the order so neither server always goes first.
                    for phase, server in phases if n % 2 == 0 else phases[::-1]:
                        cpu_before = used_cpu(server)
                        workers_before = worker_cpu(server)
                        result = loadgen(rt, server.url, ["--mode", "closed", "--concurrency",
                                                          str(c)], args,
                                         prefix=f"{phase}{n}c{c}-")
                        cpu_ms = 1000 * (used_cpu(server) - cpu_before)
                        busiest = busiest_share(workers_before, worker_cpu(server))
                        _note_errors(report, f"{phase} c={c}", result)
                        share = ratio(result["commands_per_s"], anchor["commands_per_s"])
                        report.row(round=n, phase=phase, concurrency=c,
                                   commands_per_s=result["commands_per_s"],
                                   p50_ms=result["p50_ms"], p99_ms=result["p99_ms"],
                                   of_append=share,
                                   server_cpu_ms_per_command=round(cpu_ms / result["commands"], 2)
                                   if result["commands"] else None,
                                   busiest_worker_pct=busiest)
                        if share is not None:
                            ratios.setdefault(f"{phase}_c{c}", []).append(share)
                        if result["commands"]:
                            ratios.setdefault(f"{phase}_cpu_ms_c{c}", []).append(
                                cpu_ms / result["commands"])
                        served[phase] = result["commands_per_s"]
                    if args.baseline is not None and served.get("http-base"):
                        # Adjacent phases: nearer in time than either is to the anchor.
                        ratios.setdefault(f"http_vs_base_c{c}", []).append(
                            served["http"] / served["http-base"])
            for phase, server in phases:
                if phase == "http-single":
                    continue
                result = loadgen(rt, server.url, ["--mode", "open", "--rate", str(args.rate)],
                                 args, prefix=f"{phase}open{args.rate:.0f}-")
                _note_errors(report, f"{phase} open loop {args.rate:.0f}/s", result)
                report.row(round="-", phase=f"{phase} open loop {args.rate:.0f}/s",
                           concurrency="-", commands_per_s=result["commands_per_s"],
                           p50_ms=result["p50_ms"], p99_ms=result["p99_ms"])
                suffix = "" if phase == "http" else "_base"
                report.figures[f"open_p99_ms{suffix}"] = result["p99_ms"]
                report.figures[f"open_achieved_cps{suffix}"] = result["commands_per_s"]
        for key, values in ratios.items():
            # http_vs_base_c*: this tree's API / the baseline's, median over rounds
            name = key if key.startswith("http_vs_base") or "_cpu_ms_" in key \
                else f"{key}_of_append"
            report.figures[name] = round(statistics.median(values), 3)
        for c in levels:
            report.goal(f"API at {c} clients / bare append (median over rounds)",
                        report.figures.get(f"http_c{c}_of_append"), 0.6, higher_is_better=True)
        report.goal(f"open loop {args.rate:.0f}/s p99 ms", report.figures.get("open_p99_ms"),
                    25.0, higher_is_better=False)
    report.finish(args.out_dir)
    return report


def worker_cpu(server: Server) -> dict[int, float]:
    return {pid: cpu_seconds(pid) for pid in server.worker_pids()}


def busiest_share(before: dict[int, float], after: dict[int, float]) -> float | None:
    """The busiest API worker's share of the workers' CPU in a phase. The
    workers share one listening socket, and a few long-lived connections
    may all land on one of them (100: one worker served the whole phase),
    which moves a phase's rate more than most changes do."""
    used = [after[pid] - before[pid] for pid in after if pid in before]
    if len(used) < 2 or sum(used) <= 0:
        return None
    return round(100 * max(used) / sum(used))


if __name__ == "__main__":
    main()

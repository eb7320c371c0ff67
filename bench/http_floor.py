"""The floor under the pipeline's goal: the anchor's own append behind FastAPI
and nothing else, against the anchor, phases interleaved.

    .venv/bin/python -m bench.http_floor --store postgres --seconds 5 --rounds 2

bench.pipeline divides the API's commands/s by the library's bare append
(recorder.insert_events of one command's prebuilt events, c threads in this
process). Here the same append is served by `uvicorn --workers N` (as
`cardledger serve` runs it: uvloop, httptools) with one plain FastAPI route,
`POST /append`, that takes the next prebuilt command and inserts it: no guard,
no keys, no access log, no load, no decision, no views, no answer body. The
same closed-loop generator (bench.loadgen, aiohttp) drives it at each level.
What this reaches of the anchor bounds what any API built on this stack can
reach on this machine; the pipeline's figure is read against it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Response

from bench.command_path import _append, _latency, _stored_groups
from bench.common import (
    Report,
    interrupt,
    library_insert_events,
    parser,
    ratio,
    settings_env,
    store_settings,
    versions,
)
from bench.server import Server, free_port, wait_ready
from bench.workload import open_company
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import get_settings
from cardledger.wiring import open_runtime

# Each worker's prebuilt commands (5 a customer): set by main() for the run's length.
POOL_CUSTOMERS_VARIABLE = "FLOOR_POOL_CUSTOMERS"


def create_app() -> FastAPI:
    """One worker's app: a pool of prebuilt commands (5 per customer, whose
    first command is stored at start), and the route that appends the next."""
    runtime = open_runtime(get_settings(), processor=SandboxProcessor(), run_projector=False)
    pool = _stored_groups(runtime, customers=int(os.environ.get(POOL_CUSTOMERS_VARIABLE, "3000")),
                          commands=6)
    lock = threading.Lock()
    insert_events = library_insert_events(runtime.ledger.recorder)
    app = FastAPI()

    @app.post("/append", status_code=204)
    def append() -> Response:
        with lock:
            group = pool.pop(0) if pool else None
        if group is None:
            return Response(status_code=503)
        insert_events(group)
        return Response(status_code=204)

    @app.get("/readyz")
    def ready() -> dict[str, int]:
        return {"left": len(pool)}

    return app


def main(argv: list[str] | None = None) -> Report:
    p = parser(__doc__)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--concurrency", default="1,8,32")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",")]
    report = Report("http_floor", {k: v for k, v in vars(args).items() if k != "out_dir"})
    with store_settings(args.store) as settings, \
            open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as rt, \
            tempfile.TemporaryDirectory(prefix="cardledger-bench-") as tmp:
        report.versions = versions(settings.postgres_dbname if args.store == "postgres" else None)
        open_company(rt.ledger)
        port = free_port()
        env = settings_env(settings)
        # Enough for every phase at up to 1,500 commands/s (503 answers once gone).
        env.setdefault(POOL_CUSTOMERS_VARIABLE, str(int(
            args.seconds * args.rounds * len(levels) * 1500 / 5 / args.workers) + 200))
        with (Path(tmp) / "floor.log").open("wb") as log:
            process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "uvicorn", "bench.http_floor:create_app", "--factory",
                 "--port", str(port), "--workers", str(args.workers), "--no-access-log",
                 "--log-level", "warning"],
                env=env, stdout=log, stderr=subprocess.STDOUT)
        server = Server(f"http://127.0.0.1:{port}", process, Path(tmp) / "floor.log")
        url = server.url
        try:
            # Each worker builds its pool of commands before it serves.
            wait_ready(server, args.workers, timeout=180)
            _drive(url, 8, 0.5)  # every worker past its start (each builds its pool first)
            ratios: dict[str, list[float]] = {}
            for n in range(args.rounds):
                for c in levels:
                    pool = _stored_groups(rt, customers=int(300 * args.seconds), commands=6)
                    anchor = _append(rt, pool, c, 1, args.seconds)
                    report.row(round=n, phase="append", concurrency=c,
                               **{k: anchor[k] for k in ("commands_per_s", "p50_ms", "p99_ms")})
                    before = server.cpu_seconds()
                    result = _drive(url, c, args.seconds)
                    cpu_ms = 1000 * (server.cpu_seconds() - before) / max(1, result["commands"])
                    share = ratio(result["commands_per_s"], anchor["commands_per_s"])
                    report.row(round=n, phase="fastapi floor", concurrency=c,
                               commands_per_s=result["commands_per_s"],
                               p50_ms=result["p50_ms"], p99_ms=result["p99_ms"],
                               of_append=share, server_cpu_ms_per_command=round(cpu_ms, 2))
                    if result["errors"]:
                        report.note(f"c={c}: {result['errors']} answers were not 204")
                    if share is not None:
                        ratios.setdefault(f"floor_c{c}_of_append", []).append(share)
                    ratios.setdefault(f"floor_cpu_ms_c{c}", []).append(cpu_ms)
        finally:
            interrupt(process)
        for key, values in ratios.items():
            report.figures[key] = round(statistics.median(values), 3)
    report.finish(args.out_dir)
    return report


def _drive(url: str, concurrency: int, seconds: float) -> dict[str, Any]:
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.loadgen", "--url", url, "--key", "-",
         "--plain-post", "/append", "--seconds", str(seconds),
         "--concurrency", str(concurrency)],
        capture_output=True, text=True, timeout=seconds + 120, check=True)
    result = json.loads(out.stdout)
    ok = result["statuses"].get("204", 0)
    return {"commands": ok, "commands_per_s": round(ok / result["seconds"], 1),
            "errors": len(result["latencies"]) - ok, **_latency(result["latencies"])}


if __name__ == "__main__":
    main()

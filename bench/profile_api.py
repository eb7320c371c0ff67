"""Where an API worker's time goes under command load: py-spy samples a
one-worker `cardledger serve` while bench.loadgen drives it, and the samples are
summed per cardledger function (inclusive) and per library.

    .venv/bin/python -m bench.profile_api --store postgres --concurrency 8 --seconds 8

Needs py-spy (dev extras). Percentages are of samples of busy threads (the
request threads, the in-process projector thread, the event loop), so the
shares overlap along a call chain and do not add up to 100.

The rows named ``thread: ...`` and ``event loop: ...`` do add up to 100: each
sample counted once, by thread, and the event loop's (uvicorn's thread, where
the HTTP layer runs: parsing, middleware, FastAPI, serialising) by the
innermost frame that names a part (docs/command-path.md §7).
"""

from __future__ import annotations

import collections
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Report, parser, store_settings, versions
from bench.server import PORTAL_KEY, api_server
from bench.workload import open_company
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.wiring import open_runtime

OURS = ("api", "domain", "projections", "cardledger", "consumers")


def main(argv: list[str] | None = None) -> Report:
    p = parser(__doc__)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--seconds", type=float, default=8.0, help="sampling time")
    p.add_argument("--top", type=int, default=30)
    args = p.parse_args(argv)
    report = Report("profile_api", {"store": args.store, "concurrency": args.concurrency,
                                    "seconds": args.seconds})
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        report.note("py-spy is not installed (pip install -e '.[dev]'): nothing sampled")
        report.finish(args.out_dir)
        return report
    with store_settings(args.store) as settings, \
            open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as rt, \
            tempfile.TemporaryDirectory(prefix="cardledger-bench-") as tmp:
        report.versions = versions(settings.postgres_dbname if args.store == "postgres" else None)
        open_company(rt.ledger)
        raw = Path(tmp) / "samples.txt"
        with api_server(settings, 1, Path(tmp)) as server:
            load = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "bench.loadgen", "--url", server.url, "--key", PORTAL_KEY,
                 "--seconds", str(args.seconds + 4), "--concurrency", str(args.concurrency)],
                stdout=subprocess.DEVNULL)
            time.sleep(2)  # past the first requests' warm-up
            subprocess.run([spy, "record", "-p", str(server.process.pid),  # noqa: S603
                            "-d", str(int(args.seconds)), "-r", "200", "-f", "raw",
                            "-o", str(raw), "--nonblocking", "--threads"], capture_output=True, check=False)
            load.wait(timeout=args.seconds + 120)
        if not raw.exists():
            report.note("py-spy wrote no samples (is ptrace allowed here?)")
        else:
            total, shares = summarise(raw)
            report.figures["samples"] = total
            for name, share in shares.most_common(args.top):
                report.row(share_pct=round(100 * share / total, 1), where=name)
            parts = by_thread_and_part(raw)
            for name, share in sorted(parts.items()):
                report.row(share_pct=round(100 * share / total, 1), where=name)
            report.figures["event_loop_pct"] = round(100 * sum(
                n for name, n in parts.items() if name.startswith("event loop")) / total, 1)
    report.finish(args.out_dir)
    return report


# The event loop's parts, by the innermost frame whose function or file names one.
LOOP_PARTS = (
    ("card-number guard", ("cardledger/card_data.py", "api/json_body.py", "_inspect_",
                           "check_bounds", "_read_body")),
    ("hand-off to worker threads", ("anyio/", "queue.py", "threading.py", "concurrent/")),
    ("logging", ("logging/",)),
    ("metrics", ("prometheus_client",)),
    ("pydantic", ("pydantic",)),
    ("fastapi", ("fastapi/",)),
    ("starlette", ("starlette/",)),
    ("uvicorn, httptools", ("uvicorn/", "httptools")),
    ("asyncio, uvloop (C: sockets, parsing callbacks)", ("asyncio/", "uvloop")),
    ("cardledger api", ("api/",)),
)


def by_thread_and_part(raw: Path) -> collections.Counter[str]:
    """Samples per thread kind, and the event loop's per part (py-spy --threads:
    the first frame is 'thread (id): name')."""
    parts: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        thread = frames[0].partition(": ")[2]
        if thread != "MainThread":
            kind = "worker threads" if thread.startswith("AnyIO") else thread
            parts[f"thread: {kind}"] += int(count)
            continue
        part = next((name for frame in reversed(frames[1:]) for name, needles in LOOP_PARTS
                     if any(needle in frame for needle in needles)), "other")
        parts[f"event loop: {part}"] += int(count)
    return parts


def summarise(raw: Path) -> tuple[int, collections.Counter[str]]:
    """Inclusive samples per cardledger function and per library (py-spy raw format:
    'frame;frame;... count', frames like 'name (path:line)')."""
    shares: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        total += int(count)
        seen = set()
        for frame in stack.split(";"):
            name, _, location = frame.partition(" (")
            path = location.split(":")[0]
            top = path.split("/")[0]
            if top in OURS:
                key = f"{name} [{path}]"
            elif "/" in path:
                key = f"{top} (library)"
            else:
                continue
            if key not in seen:
                seen.add(key)
                shares[key] += int(count)
    return total, shares


if __name__ == "__main__":
    main()

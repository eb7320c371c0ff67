"""4. Kafka publish lag: from a command's commit to the broker's acknowledgement
of its event, through the production relay (`cardledger relay`, its own process)
and noida-db's Kafka-protocol broker (started and stopped here).

    .venv/bin/python -m bench.kafka_lag --store postgres --rate 100 --seconds 15

The relay advances its position (cl_tracking, relay:<name>) right after the broker
acknowledged a batch (acks=all, idempotent producer); an observer polls that
position every --observe-ms, so lag = first moment the position covers a
command - the commit's return. The extra UPDATE after the ack is counted in.
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

from bench.common import (
    Report,
    interrupt,
    latency_summary,
    parser,
    rss_kib,
    store_settings,
    versions,
)
from bench.projection_lag import Observer, start_worker, stop_worker, write
from bench.server import free_port
from bench.workload import open_company
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.wiring import open_runtime


def main(argv: list[str] | None = None) -> Report:
    p = parser(__doc__)
    p.add_argument("--rate", type=float, default=100.0, help="commands per second")
    p.add_argument("--seconds", type=float, default=15.0)
    p.add_argument("--writers", type=int, default=4)
    p.add_argument("--customers", type=int, default=400)
    p.add_argument("--observe-ms", type=float, default=1.0)
    args = p.parse_args(argv)
    args.prefix = "kafka-"
    report = Report("kafka_lag", {"store": args.store, "rate": args.rate, "seconds": args.seconds,
                                  "writers": args.writers, "customers": args.customers,
                                  "observe_ms": args.observe_ms})
    try:
        from consumers.relay import NAME, position_name  # noqa: PLC0415 (the relay may not exist yet)
    except ImportError:
        report.note("skipped: consumers/relay.py is not there yet")
        report.finish(args.out_dir)
        return report
    with tempfile.TemporaryDirectory(prefix="cardledger-bench-") as tmp, \
            broker(Path(tmp) / "noida") as bootstrap, \
            store_settings(args.store, projections="external", kafka_bootstrap=bootstrap,
                           kafka_topic="cardledger.bench.v1",
                           kafka_dead_letter_topic="cardledger.bench.v1.dead-letter") as settings:
        report.versions = versions(settings.postgres_dbname if args.store == "postgres" else None)
        report.versions["noida_db"] = _version("noida-db")
        report.versions["kafka_python"] = _version("kafka-python")
        with open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as rt:
            open_company(rt.ledger)
            relay = start_worker(settings, "relay", ready="relaying events")
            try:
                observer = Observer(settings, args.observe_ms / 1000,
                                    table="cl_tracking", name=position_name(NAME))
                observer.start()
                commits = write(rt.ledger, args)
                caught_up = observer.wait_for(max(pos for pos, _ in commits), timeout=60)
                observer.stop()
                report.figures["relay_rss_mib"] = round((rss_kib(relay.pid) or 0) / 1024, 1)
            finally:
                stop_worker(relay)
    lags = [seen - at for pos, at in commits if (seen := observer.seen_at(pos)) is not None]
    summary = latency_summary(lags)
    report.row(commands=len(commits), achieved_rate=round(len(commits) / args.seconds, 1),
               caught_up=caught_up, **summary)
    report.figures["lag_p99_ms"] = summary["p99_ms"]
    report.goal("Kafka publish lag p99 (ms)", summary["p99_ms"], 250.0, higher_is_better=False)
    report.note("the relay polls the log every 100 ms when idle and its producer lingers 5 ms")
    report.finish(args.out_dir)
    return report


@contextmanager
def broker(data_dir: Path) -> Iterator[str]:
    """noida-db's Kafka broker on a free port; its binary is run directly because
    the console script's wrapper kills it hard on SIGINT."""
    port = free_port()
    binary = str(files("noida_db").joinpath("noida-db"))
    process = subprocess.Popen(  # noqa: S603
        [binary, "start", "--data-dir", str(data_dir), "--only", "kafka",
         "--kafka-port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not _listening(port):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("noida-db did not start listening")
            time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        interrupt(process, timeout=20)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def _version(package: str) -> Any:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version(package)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()

"""The HTTP API as a real server for the benchmarks: `cardledger serve` in a
subprocess on a free port, with bench keys and no per-key rate limit."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import SecretStr

from bench.common import child_pids, cpu_seconds, interrupt, rss_kib, settings_env
from bench.workload import COMPANY
from cardledger.settings import Settings

CLI = Path(sys.executable).with_name("cardledger")
# Long enough for the API's key rules; only ever used on a throwaway store.
PORTAL_KEY = "bench-portal-key-0123456789"
OFFICE_KEY = "bench-office-key-0123456789"
KEYS = f"{PORTAL_KEY}={COMPANY}:portal,{OFFICE_KEY}={COMPANY}:office"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_settings(settings: Settings) -> Settings:
    """No rate limit: the bench is the runaway client the limit guards against."""
    return settings.model_copy(update={"api_keys": SecretStr(KEYS),
                                       "api_rate_limit_per_second": 0.0})


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def worker_pids(self) -> list[int]:
        """uvicorn's worker processes, or the server itself with one worker."""
        workers = [pid for pid in child_pids(self.process.pid) if _is_worker(pid)]
        return workers or [self.process.pid]

    def cpu_seconds(self) -> float:
        """CPU used so far by the server and its workers: read before and
        after a phase, it is the phase's cost, whatever else ran meanwhile."""
        return sum(cpu_seconds(pid) for pid in {self.process.pid, *self.worker_pids()})

    def worker_rss_mib(self) -> list[float]:
        return [round((rss_kib(pid) or 0) / 1024, 1) for pid in self.worker_pids()]


@contextmanager
def api_server(settings: Settings, workers: int, log_dir: Path,
               source: Path | None = None) -> Iterator[Server]:
    """``source``: serve the code of another source tree (e.g. `git archive` of an
    older commit) instead of this one, for a same-run before/after comparison."""
    port = free_port()
    log = log_dir / f"api-{port}.log"
    env = settings_env(bench_settings(settings))
    if source is not None:  # ahead of the editable install on every worker's path
        env["PYTHONPATH"] = str(source.resolve())
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            [str(CLI), "serve", "--port", str(port), "--workers", str(workers)],
            env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_ready(server, workers)
        yield server
    finally:
        interrupt(process)


@contextmanager
def views_projector(settings: Settings, log_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """One `cardledger project` process for the store: production's layout, where
    the API processes run CARDLEDGER_PROJECTIONS=external. One for every server
    on the store, so an idle server's projector never competes with the
    measured one's (read-your-writes works across processes by NOTIFY)."""
    with (log_dir / "projector.log").open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            [str(CLI), "project"], env=settings_env(bench_settings(settings)),
            stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        interrupt(process)


def wait_ready(server: Server, workers: int, timeout: float = 60) -> None:
    """Until /readyz answers 200 and uvicorn has started every worker."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the API server exited: {server.log.read_text()[-2000:]}")
        try:
            if httpx.get(server.url + "/readyz", timeout=2).status_code == 200 and (
                    workers == 1 or len(server.worker_pids()) >= workers):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the API server was not ready in {timeout} s")


def _is_worker(pid: int) -> bool:
    """uvicorn's workers, not multiprocessing's resource tracker."""
    try:
        return b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False

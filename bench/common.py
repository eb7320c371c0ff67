"""What every benchmark shares: stores, machine facts, percentiles, the report.

Each benchmark builds a ``Report``: parameters in, figures out, printed as a
table and written as JSON to bench/results/<name>-<timestamp>.json together
with the machine and the versions, so a figure is never read without them.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import signal
import sqlite3
import statistics
import subprocess
import tempfile
import time
import timeit
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psycopg
from pydantic import SecretStr

from cardledger.settings import Settings
from cardledger.wiring import migrate_store

RESULTS_DIR = Path(__file__).resolve().parent / "results"
PG_HOST = os.environ.get("BENCH_POSTGRES_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("BENCH_POSTGRES_PORT", "5432"))
PG_USER = os.environ.get("BENCH_POSTGRES_USER", "postgres")


# --- stores ---------------------------------------------------------------------------


def admin_connection(dbname: str = "postgres") -> psycopg.Connection[Any]:
    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname,
                           autocommit=True)


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A fresh database for one run, dropped at the end even on failure."""
    name = f"cardledger_bench_{uuid.uuid4().hex[:12]}"
    with admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def store_settings(store: str, **overrides: Any) -> Iterator[Settings]:
    """Settings for a throwaway store: a temp dir for SQLite, a new database for PostgreSQL."""
    with tempfile.TemporaryDirectory(prefix="cardledger-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        if store == "sqlite":
            yield Settings(_env_file=None, data_dir=data_dir, store="sqlite", **overrides)
            return
        with throwaway_postgres() as dbname:
            settings = Settings(_env_file=None, data_dir=data_dir, store="postgres",
                                postgres_host=PG_HOST, postgres_port=PG_PORT,
                                postgres_user=PG_USER, postgres_dbname=dbname, **overrides)
            migrate_store(settings)  # the deployment step `cardledger migrate`
            yield settings


def settings_env(settings: Settings) -> dict[str, str]:
    """The same settings as CARDLEDGER_* variables, for a subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARDLEDGER_")}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        env[f"CARDLEDGER_{name.upper()}"] = str(value)
    return env


# --- the anchor -------------------------------------------------------------------------


def library_insert_events(recorder: Any) -> Callable[..., Any]:
    """The library's own ``insert_events``, bound to this store's recorder: the
    anchor of every ratio is the library's append, not cardledger's leaner
    transaction around the same statements (storage/postgres_append.py)."""
    method = next(vars(cls)["insert_events"] for cls in type(recorder).__mro__
                  if cls.__module__.startswith("eventsourcing.") and "insert_events" in vars(cls))
    return functools.partial(method, recorder)


# --- machine and versions -------------------------------------------------------------


def cpu_yardstick_ms() -> float:
    """Milliseconds for ``sum(range(10**6))``, best of 5: how fast this
    machine's core runs Python today. Absolute figures (a p99 in ms) move
    with it from machine to machine (27.9 on the 2026-11-26 sixth-session
    machine; a recent desktop core takes about 10); same-run ratios do not."""
    return round(min(timeit.repeat("sum(range(10**6))", number=1, repeat=5)) * 1000, 1)


def machine() -> dict[str, Any]:
    return {
        "cpu_yardstick_ms": cpu_yardstick_ms(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_at_start": list(os.getloadavg()),
        "host": platform.node(),
    }


def versions(postgres_dbname: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "eventsourcing": version("eventsourcing"),
        "psycopg": version("psycopg"),
        "sqlite": sqlite3.sqlite_version,
    }
    try:
        with admin_connection(postgres_dbname or "postgres") as conn:
            row = conn.execute("SHOW server_version").fetchone()
            found["postgres_server"] = row[0] if row else None
    except psycopg.Error as e:
        found["postgres_server"] = f"unreachable: {e}".splitlines()[0]
    return found


# --- statistics -----------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted sequence (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * q // 100))
    return sorted_values[int(rank) - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max/mean in milliseconds."""
    values = sorted(seconds)
    ms = 1000.0
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50) * ms, 3),
        "p95_ms": round(percentile(values, 95) * ms, 3),
        "p99_ms": round(percentile(values, 99) * ms, 3),
        "max_ms": round(values[-1] * ms, 3) if values else float("nan"),
        "mean_ms": round(statistics.fmean(values) * ms, 3) if values else float("nan"),
    }


def ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def rss_kib(pid: int) -> int | None:
    """Resident set size of a process from /proc (Linux), in KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc (Linux);
    0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def interrupt(process: subprocess.Popen[Any], timeout: float = 15) -> None:
    """Stop a process the way Ctrl-C does (its graceful shutdown); kill it only
    if it is still there after ``timeout`` seconds."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def child_pids(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


# --- the report -----------------------------------------------------------------------


@dataclass
class Report:
    """Figures of one run. ``rows`` become the printed table."""

    name: str
    parameters: dict[str, Any]
    started: datetime = field(default_factory=lambda: datetime.now(tz=UTC))
    rows: list[dict[str, Any]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    goals: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    versions: dict[str, Any] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=machine)

    def row(self, **values: Any) -> dict[str, Any]:
        self.rows.append(values)
        print("  " + "  ".join(f"{k}={_fmt(v)}" for k, v in values.items()), flush=True)
        return values

    def goal(self, what: str, measured: float | None, limit: float, *,
             higher_is_better: bool) -> None:
        met = measured is not None and (measured >= limit if higher_is_better else measured < limit)
        self.goals.append({"goal": what, "measured": measured, "limit": limit,
                           "met": met, "higher_is_better": higher_is_better})

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)

    def finish(self, out_dir: Path = RESULTS_DIR) -> Path:
        out_dir.mkdir(parents=True, exist_ok=True)
        stamp = self.started.strftime("%Y%m%dT%H%M%SZ")
        path = out_dir / f"{self.name}-{stamp}.json"
        document = {
            "name": self.name,
            "started": self.started.isoformat(),
            "finished": datetime.now(tz=UTC).isoformat(),
            "machine": self.machine | {"loadavg_at_end": list(os.getloadavg())},
            "versions": self.versions,
            "parameters": self.parameters,
            "rows": self.rows,
            "figures": self.figures,
            "goals": self.goals,
            "notes": self.notes,
        }
        path.write_text(json.dumps(document, indent=2, default=str) + "\n")
        self.print_table()
        print(f"\nwrote {path}", flush=True)
        return path

    def print_table(self) -> None:
        print(f"\n== {self.name} ==")
        if self.rows:
            columns: list[str] = []
            for r in self.rows:
                columns += [k for k in r if k not in columns]
            cells = [[_fmt(r.get(c, "")) for c in columns] for r in self.rows]
            widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
            print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
            for row in cells:
                print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
        for key, value in self.figures.items():
            print(f"{key}: {_fmt(value)}")
        for g in self.goals:
            sign = ">=" if g["higher_is_better"] else "<"
            print(f"goal {g['goal']}: {_fmt(g['measured'])} (want {sign} {g['limit']}) "
                  f"{'MET' if g['met'] else 'MISSED'}")
        for n in self.notes:
            print(f"note: {n}")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


# --- command line ---------------------------------------------------------------------


def parser(description: str | None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--store", choices=("postgres", "sqlite"), default="postgres")
    p.add_argument("--out-dir", type=Path, default=RESULTS_DIR,
                   help="where the JSON goes (default bench/results/)")
    return p


class Deadline:
    """A phase's time budget."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def passed(self) -> bool:
        return time.monotonic() >= self.end

    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())


# --- statement counting -------------------------------------------------------------------


class StatementCounter:
    """Counts SQL statements sent by this process while active (every psycopg
    cursor and the library's SQLite cursor): counted, not guessed."""

    def __init__(self) -> None:
        self.count = 0
        self._saved: list[tuple[type, str, Any]] = []

    def __enter__(self) -> StatementCounter:
        from eventsourcing.sqlite import SQLiteCursor  # noqa: PLC0415

        for cls in (psycopg.Cursor, SQLiteCursor):
            for method in ("execute", "executemany"):
                original = getattr(cls, method)
                self._saved.append((cls, method, original))
                setattr(cls, method, self._counting(original))
        return self

    def __exit__(self, *exc: object) -> None:
        for cls, method, original in reversed(self._saved):
            setattr(cls, method, original)
        self._saved.clear()

    def _counting(self, original: Any) -> Any:
        def counted(cursor: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return original(cursor, *args, **kwargs)

        return counted

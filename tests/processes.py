"""A cardledger command run as PID 1, the way a container without an init runs
it: in a new PID namespace (unshare), where the kernel ignores every signal
the process has no handler for. Where unshare is not allowed, the process
starts with SIGTERM and SIGINT ignored instead (inherited through exec), which
is the same condition: without handlers of its own, it cannot be stopped."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

UNSHARE = ["unshare", "--pid", "--fork", "--kill-child"]


def _can_unshare() -> bool:
    try:
        return subprocess.run([*UNSHARE, "true"], capture_output=True, timeout=10,
                              check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


CAN_UNSHARE = _can_unshare()


def _ignore_stop_signals() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Pid1:
    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        command = [sys.executable, "-m", "entrypoints.cli", *args]
        self.process = subprocess.Popen(
            [*UNSHARE, *command] if CAN_UNSHARE else command, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            preexec_fn=None if CAN_UNSHARE else _ignore_stop_signals)  # noqa: PLW1509 (before threads)
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.output.append(line)
            if text in line:
                return
        raise AssertionError(f"never printed {text!r}: {''.join(self.output)}")

    @property
    def pid(self) -> int:
        """The command's own process (PID 1 inside its namespace)."""
        if not CAN_UNSHARE:
            return self.process.pid
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return int(children.read_text().split()[0])

    def terminate(self, within: float) -> tuple[int | None, float]:
        """SIGTERM, as `docker stop` sends; the exit code (None if still running
        after ``within`` s, then killed) and the seconds it took."""
        start = time.monotonic()
        os.kill(self.pid, signal.SIGTERM)
        try:
            code: int | None = self.process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            code = None
        took = time.monotonic() - start
        self.kill()
        return code, took

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@contextmanager
def as_pid1(args: list[str], env: dict[str, str]) -> Iterator[Pid1]:
    process = Pid1(args, env)
    try:
        yield process
    finally:
        process.kill()

"""Everything the server process logs while a test runs, every logger, every level."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

# The test's own HTTP client logs the URLs it calls; that is not the server's output.
CLIENT_LOGGERS = ("httpx", "httpcore")


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(CLIENT_LOGGERS):
            self.records.append(record)

    def text(self) -> str:
        return "\n".join(self.format(r) for r in self.records)

    def lines(self, logger: str) -> list[str]:
        return [r.getMessage() for r in self.records if r.name == logger]


@contextmanager
def captured_logs() -> Iterator[Captured]:
    root = logging.getLogger()
    handler, level = Captured(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)

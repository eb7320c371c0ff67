"""One log format for every line of every cardledger process: a JSON object a
line, on stderr (the API's access log on stdout), e.g.

    {"ts":"2026-11-25T21:40:00.123Z","level":"INFO","logger":"cardledger.access",
     "message":"request","request_id":"req_ab","method":"POST","route":"/v1/...",
     "status":201,"duration_ms":12.5}

Always: ``ts`` (UTC, ms), ``level``, ``logger``, ``message``. When known:
``request_id`` (inside an HTTP request), ``position`` (the notification id a
worker following the event log is at), ``exc`` (a traceback, as one string).
A record's ``fields`` (``extra={"fields": {...}}``) are merged in. Never a
request or response body: nothing here reads one, and every handler also
carries the card-data filter (cardledger/log_safety.py), which runs first.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from cardledger.log_safety import CardDataFilter
from projections.log_follower import position

request_id: ContextVar[str | None] = ContextVar("log_request_id", default=None)


@contextmanager
def at_position(value: int) -> Iterator[None]:
    """Lines logged inside carry the event position being worked on."""
    token = position.set(value)
    try:
        yield
    finally:
        position.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,  # which of several API workers, say
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            # The record's text is for in-process handlers; the line has the fields.
            line["message"] = fields.get("event", record.getMessage())
            line.update((k, v) for k, v in fields.items() if k != "event")
        else:
            line["message"] = record.getMessage()
        if "request_id" not in line and (rid := request_id.get()) is not None:
            line["request_id"] = rid
        if (pos := position.get()) is not None:
            line["position"] = pos
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, separators=(",", ":"), default=str)


def json_handler(stream: Any = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(CardDataFilter())
    return handler


def configure(level: int = logging.INFO) -> None:
    """The root logger writes JSON lines to stderr; cardledger's own loggers at
    INFO, libraries' at WARNING (kafka-python and psycopg are chatty at INFO)."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(json_handler())
    root.setLevel(logging.WARNING)
    logging.getLogger("cardledger").setLevel(level)
    # What Python itself would print as plain text goes through the same handler:
    # warnings, and a thread that dies of an exception.
    logging.captureWarnings(True)
    threading.excepthook = _log_thread_crash


def _log_thread_crash(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    thread = args.thread.name if args.thread else "?"
    logging.getLogger("cardledger.crash").error(
        "thread %s died", thread,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback))  # type: ignore[arg-type]


# uvicorn's logging, in the same format (api/server.py passes it as log_config).
UVICORN_LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"card_data": {"()": "cardledger.log_safety.CardDataFilter"}},
    "formatters": {"json": {"()": "cardledger.logs.JsonFormatter"}},
    "handlers": {
        "access": {"class": "logging.StreamHandler", "formatter": "json",
                   "stream": "ext://sys.stdout", "filters": ["card_data"]},
        "default": {"class": "logging.StreamHandler", "formatter": "json",
                    "stream": "ext://sys.stderr", "filters": ["card_data"]},
    },
    "root": {"handlers": ["default"], "level": "WARNING"},
    "loggers": {
        "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
        # uvicorn's own access log is off: it prints paths and query strings.
        "uvicorn.access": {"handlers": [], "propagate": False},
        "cardledger": {"handlers": ["default"], "level": "INFO", "propagate": False},
        "cardledger.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}

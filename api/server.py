"""`cardledger serve`: uvicorn in front of the app.

One worker serves the app object directly. With several, uvicorn starts
worker processes that each build the app from the environment
(``api.app:create_app_from_env``), so every setting must come from the
environment or .env, as `cardledger serve` does anyway.

Each worker with CARDLEDGER_PROJECTIONS=inprocess runs its own projector
thread; that is safe (the views' position moves by compare-and-set, so each
event is applied once) but wasteful. Production runs
CARDLEDGER_PROJECTIONS=external and one `cardledger project` process.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import uvicorn

from api.app import create_app
from api.auth import KeyConfigError, KeyRing, ensure_dev_keys, keys_configured
from cardledger.settings import Settings

# uvicorn's own access log is off: it prints paths and query strings. Ours
# (cardledger.access) is one JSON line per request on stdout; everything else goes
# to stderr. Every handler carries the card-data filter (cardledger/log_safety.py).
LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"card_data": {"()": "cardledger.log_safety.CardDataFilter"}},
    "formatters": {
        "json_lines": {"format": "%(message)s"},
        "default": {"()": "uvicorn.logging.DefaultFormatter",
                    "fmt": "%(levelprefix)s %(name)s: %(message)s", "use_colors": None},
    },
    "handlers": {
        "access": {"class": "logging.StreamHandler", "formatter": "json_lines",
                   "stream": "ext://sys.stdout", "filters": ["card_data"]},
        "default": {"class": "logging.StreamHandler", "formatter": "default",
                    "stream": "ext://sys.stderr", "filters": ["card_data"]},
    },
    "loggers": {
        "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": [], "propagate": False},
        "cardledger": {"handlers": ["default"], "level": "INFO", "propagate": False},
        "cardledger.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    settings = with_keys(settings)
    if settings.ui_enabled:
        print(f"cardledger: reference pages at http://{host}:{port}/ui/ (docs/ui.md)", flush=True)
    options: dict[str, Any] = {"host": host, "port": port, "access_log": False,
                               "log_config": LOG_CONFIG}
    if workers > 1:
        uvicorn.run("api.app:create_app_from_env", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(settings), **options)


def with_keys(settings: Settings) -> Settings:
    """The settings with usable keys: a dev keys file when none are configured.
    A bad entry stops the start with one readable line (exit 2), like the CLI."""
    if not keys_configured(settings):
        path = ensure_dev_keys(settings).resolve()
        print(f"cardledger: no API keys configured; development keys are in {path}", flush=True)
        # Worker processes read their settings from the environment.
        os.environ["CARDLEDGER_API_KEYS_FILE"] = str(path)
        settings = settings.model_copy(update={"api_keys_file": path})
    try:
        KeyRing.from_settings(settings)
    except (KeyConfigError, OSError) as e:
        print(f"cardledger: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    return settings

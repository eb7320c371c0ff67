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

import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from api.app import create_app
from api.auth import KeyConfigError, KeyRing, ensure_dev_keys, keys_configured
from api.worker_sockets import WorkerPort, spread_connections
from cardledger.logs import UVICORN_LOG_CONFIG
from cardledger.settings import Settings

log = logging.getLogger("cardledger.api")

# Logging: cardledger/logs.py's UVICORN_LOG_CONFIG. uvicorn's own access log is
# off (it prints paths and query strings); ours (cardledger.access) is one JSON
# line per request on stdout; everything else, uvicorn's lines included, goes to
# stderr in the same JSON format. Every handler carries the card-data filter.


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    settings = with_keys(settings)
    if settings.ui_enabled:
        log.info("reference pages at http://%s:%d/ui/ (docs/ui.md)", host, port)
    # In-flight requests get 1 s after SIGTERM: stopped within 2 s (docs/operations.md).
    options: dict[str, Any] = {"host": host, "port": port, "access_log": False,
                               "log_config": UVICORN_LOG_CONFIG, "timeout_graceful_shutdown": 1}
    if workers > 1:
        share_metrics_between_workers(settings)
        if spread_connections():
            run_workers(uvicorn.Config("api.app:create_app_from_env", factory=True,
                                       workers=workers, **options))
        else:
            uvicorn.run("api.app:create_app_from_env", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(settings, serving=True), **options)


def run_workers(config: uvicorn.Config) -> None:
    """uvicorn's supervisor (starting, watching and restarting the workers,
    as ``uvicorn.run`` would), each worker on a socket of its own
    (api/worker_sockets.py)."""
    try:
        port = WorkerPort.bind_port(config.host, config.port)
    except OSError as e:
        log.error("cannot listen on %s:%d: %s", config.host, config.port, e.strerror or e)
        sys.exit(STARTUP_FAILURE)
    logging.getLogger("uvicorn.error").info(
        "Uvicorn running on http://%s:%d (Press CTRL+C to quit), one socket a worker",
        config.host, port.getsockname()[1])
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[port]).run()


def share_metrics_between_workers(settings: Settings) -> None:
    """prometheus-client's multiprocess mode: each worker writes its counters to
    files in one directory, and any worker's /metrics adds them all up. Emptied
    at start: the files of a previous run would be counted again."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    else:
        directory = settings.data_dir / "prometheus"
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)  # the workers inherit it
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.db"):
        old.unlink()


def with_keys(settings: Settings) -> Settings:
    """The settings with usable keys: a dev keys file when none are configured.
    A bad entry stops the start with one readable line (exit 2), like the CLI."""
    if not keys_configured(settings):
        path = ensure_dev_keys(settings).resolve()
        log.warning("no API keys configured; development keys are in %s", path)
        # Worker processes read their settings from the environment.
        os.environ["CARDLEDGER_API_KEYS_FILE"] = str(path)
        settings = settings.model_copy(update={"api_keys_file": path})
    try:
        KeyRing.from_settings(settings)
    except (KeyConfigError, OSError) as e:
        print(f"cardledger: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    return settings

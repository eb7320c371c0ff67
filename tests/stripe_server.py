"""localstripe (a stateful Stripe-compatible server) as a test fixture, plus a
Stripe address that never answers in time.

Imported into the conftest of each test package that needs them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from cardledger.processors.stripe import StripeProcessor
from cardledger.settings import Settings

API_KEY = "sk_test_cardledger"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"localstripe exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh localstripe for the session (--from-scratch: it would otherwise
    load the state a previous run pickled to /tmp)."""
    port = free_port()
    log = Path(tmp_path_factory.mktemp("localstripe")) / "localstripe.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
            stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def stripe_settings(api_base: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"processor_timeout": 5.0, **overrides}
    return Settings(_env_file=None, data_dir=data_dir, processor="stripe",  # type: ignore[arg-type]
                    stripe_api_key=API_KEY, stripe_api_base=api_base, **values)


@pytest.fixture(scope="session")
def stripe_api(localstripe_url: str) -> stripe.StripeClient:
    """The test's own view of the fake Stripe: what Stripe.js would do in the
    browser (make payment methods from test card numbers) and what an
    operator would look at in the dashboard."""
    return stripe.StripeClient(API_KEY, base_addresses={"api": localstripe_url},
                               max_network_retries=0)


@pytest.fixture
def stripe_processor(localstripe_url: str, tmp_path: Path) -> StripeProcessor:
    return StripeProcessor.from_settings(stripe_settings(localstripe_url, tmp_path))


def card_token(api: stripe.StripeClient, number: str, exp: tuple[int, int] = (12, 2031)) -> str:
    """A payment method for one of Stripe's public test card numbers, made the
    way Stripe.js makes it in the portal's page (cardledger never sees it)."""
    pm = api.v1.payment_methods.create(params={
        "type": "card",
        "card": {"number": number, "exp_month": exp[0], "exp_year": exp[1], "cvc": "123"}})
    return str(pm.id)


def charges_of(api: stripe.StripeClient, customer_ref: str) -> list[stripe.Charge]:
    listed = api.v1.charges.list(params={"customer": customer_ref, "limit": 100})
    return list(listed.auto_paging_iter())


class SlowServer:
    """A real HTTP server that accepts connections and answers only after
    ``delay`` seconds (a processor that times out), with ``status``."""

    def __init__(self, delay: float, status: bytes = b"200 OK") -> None:
        self.delay = delay
        self.status = status
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.requests = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.requests += 1
            threading.Thread(target=self._answer_late, args=(conn,), daemon=True).start()

    def _answer_late(self, conn: socket.socket) -> None:
        with conn:
            if self._stopping.wait(self.delay):
                return
            try:
                conn.sendall(b"HTTP/1.1 " + self.status + b"\r\nContent-Type: application/json"
                             b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            except OSError:
                pass  # the client gave up long ago

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def slow_stripe() -> Iterator[SlowServer]:
    server = SlowServer(delay=3.0)
    yield server
    server.close()


@pytest.fixture
def failing_stripe() -> Iterator[SlowServer]:
    """Stripe answering 500 at once."""
    server = SlowServer(delay=0.0, status=b"500 Internal Server Error")
    yield server
    server.close()


def stripe_signature(payload: bytes, secret: str, at: int | None = None) -> str:
    """The Stripe-Signature header Stripe sends with a webhook (scheme v1:
    HMAC-SHA256 of "<timestamp>.<body>" with the endpoint's secret)."""
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def card_event(event_id: str, customer_ref: str, token: str, *, exp: tuple[int, int],
               last4: str = "4242", kind: str = "payment_method.automatically_updated",
               created: int | None = None) -> bytes:
    """A webhook body like Stripe's for a card the account updater changed."""
    return json.dumps({
        "id": event_id, "object": "event", "type": kind,
        "created": created if created is not None else int(time.time()),
        "api_version": "2025-01-27", "livemode": False,
        "data": {"object": {
            "id": token, "object": "payment_method", "type": "card", "customer": customer_ref,
            "card": {"brand": "visa", "last4": last4, "exp_month": exp[0], "exp_year": exp[1]},
        }},
    }).encode()

"""A real ``cardledger autopay-retry`` process, SIGKILLed after localstripe
charged and before the outcome was recorded: the next worker records the
charge and nothing is charged twice (PostgreSQL, localstripe behind a proxy
that holds the charge's answer back, as a slow network would)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import stripe

from cardledger.autopay_jobs import make_due_retries
from cardledger.settings import Settings
from domain.autopay import charges_of as charges_of_customer
from cardledger.wiring import open_runtime
from tests.autopay.support import COMPANY, CUSTOMER, charge
from tests.builders import ADMIN, PORTAL
from tests.conftest import PG_HOST, PG_PORT, PG_USER
from tests.payments.faults import CrashBeforeCharge, SimulatedCrash
from tests.stripe_server import API_KEY, card_token, charges_of, stripe_settings

pytestmark = [pytest.mark.stripe, pytest.mark.postgres, pytest.mark.timeout(120)]


class HoldingProxy:
    """Forwards to localstripe; the answer to creating a PaymentIntent is held
    back (``charged`` is set once localstripe made the charge)."""

    def __init__(self, upstream: str) -> None:
        self.charged = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "content-length")}
                answer = httpx.request(self.command, upstream + self.path, headers=headers,
                                       content=body, timeout=10)
                if self.command == "POST" and self.path.startswith("/v1/payment_intents"):
                    proxy.charged.set()
                    threading.Event().wait(30)  # the worker is killed meanwhile
                self.send_response(answer.status_code)
                for key in ("Content-Type",):
                    if key in answer.headers:
                        self.send_header(key, answer.headers[key])
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_DELETE = _forward  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(localstripe_url: str) -> Iterator[HoldingProxy]:
    held = HoldingProxy(localstripe_url)
    yield held
    held.close()


def test_a_killed_worker_process_never_causes_a_second_charge(
        localstripe_url: str, stripe_api: stripe.StripeClient, proxy: HoldingProxy,
        postgres_database: str, tmp_path: Path) -> None:
    store = {"store": "postgres", "postgres_host": PG_HOST, "postgres_port": PG_PORT,
             "postgres_user": PG_USER, "postgres_dbname": postgres_database}
    settings: Settings = stripe_settings(localstripe_url, tmp_path / "data", **store)
    # Given an office charge that died before sending its attempt, five minutes ago
    five_minutes_ago = datetime.now(tz=UTC) - timedelta(minutes=5)
    with open_runtime(settings, clock=lambda: five_minutes_ago, run_projector=False) as rt:
        rt.ledger.set_online_payments(COMPANY, True, ADMIN)
        rt.ledger.add_card(COMPANY, CUSTOMER, card_token(stripe_api, "4242424242424242"),
                           by=PORTAL)
        rt.ledger.autopay.enrol(COMPANY, CUSTOMER, card_id=None, consent_text_version="v1",
                                consent_channel="portal", by=PORTAL)
        real = rt.ledger.processor
        rt.ledger.processor = CrashBeforeCharge(real)
        with pytest.raises(SimulatedCrash):
            charge(rt)
        stripe_customer = rt.ledger.get_customer(COMPANY, CUSTOMER).processor_customer_id
        assert stripe_customer and charges_of(stripe_api, stripe_customer) == []
    # When a worker process takes the attempt over, localstripe charges, and the
    # process is killed before it hears back
    env = {**os.environ, "CARDLEDGER_DATA_DIR": str(tmp_path / "data"),
           "CARDLEDGER_STORE": "postgres", "CARDLEDGER_POSTGRES_HOST": PG_HOST,
           "CARDLEDGER_POSTGRES_PORT": str(PG_PORT), "CARDLEDGER_POSTGRES_USER": PG_USER,
           "CARDLEDGER_POSTGRES_DBNAME": postgres_database, "CARDLEDGER_PROCESSOR": "stripe",
           "CARDLEDGER_STRIPE_API_KEY": API_KEY, "CARDLEDGER_STRIPE_API_BASE": proxy.url,
           "CARDLEDGER_PROCESSOR_TIMEOUT": "25"}
    worker = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "autopay-retry"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proxy.charged.wait(60), worker.stderr.read() if worker.poll() is not None else ""
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert len(charges_of(stripe_api, stripe_customer)) == 1
    # Then the next worker, once the attempt's window has passed, records that
    # charge and sends nothing
    a_minute_later = datetime.now(tz=UTC) + timedelta(seconds=61)
    with open_runtime(settings, clock=lambda: a_minute_later, run_projector=False) as rt:
        assert make_due_retries(rt)["succeeded"] == 1
        [made] = charges_of_customer(rt.ledger.get_customer(COMPANY, CUSTOMER)).values()
        assert made.status == "succeeded" and len(made.attempts) == 1
        [stripe_charge] = charges_of(stripe_api, stripe_customer)
        assert made.attempts[0].processor_payment_id == stripe_charge.payment_intent
        assert make_due_retries(rt) == {}

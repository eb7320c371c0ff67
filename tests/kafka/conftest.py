"""A real Kafka-protocol broker for the Kafka tests.

CARDLEDGER_TEST_KAFKA_BOOTSTRAP points the tests at an existing broker (a real
Kafka); otherwise the session starts noida-db's single-node broker in the
foreground on a free port and stops it with SIGINT (its graceful shutdown).
The binary is started directly, not through the ``noida-db`` console script,
whose Python wrapper would SIGKILL the broker when it gets the SIGINT itself.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import uuid
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.wiring import Runtime, open_runtime
import consumers.relay
from consumers.envelope import Envelope
from consumers.relay import ensure_topics
from tests.contracts import contract_errors
from tests.conftest import settings_for
from tests.kafka.support import wait_until

@pytest.fixture(autouse=True)
def every_envelope_the_relay_sends_meets_its_schema(monkeypatch: pytest.MonkeyPatch,
                                                   ) -> Iterator[list[str]]:
    """The relay still builds every envelope itself; this only reads each one
    on its way out and keeps what breaks contracts/events/<type>.schema.json."""
    broken: list[str] = []
    checked: list[str] = []
    build = consumers.relay.envelope_of

    def checked_envelope_of(*args: object) -> Envelope:
        envelope = build(*args)
        broken.extend(contract_errors(envelope))
        checked.append(envelope.type)
        return envelope

    monkeypatch.setattr(consumers.relay, "envelope_of", checked_envelope_of)
    yield checked
    assert broken == [], "envelopes the relay sent break their JSON Schema"


EXTERNAL_BOOTSTRAP = os.environ.get("CARDLEDGER_TEST_KAFKA_BOOTSTRAP", "")
PARTITIONS = 3  # several, so keying by customer is what keeps order


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    """noida-db's Kafka broker in the foreground, restartable on the same port and data."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = str(files("noida_db").joinpath("noida-db"))
        self._process = subprocess.Popen(
            [binary, "start", "--data-dir", str(self.data_dir), "--only", "kafka",
             "--kafka-port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_until(self._listening, timeout=20):
            self.stop()
            raise RuntimeError(f"noida-db did not listen on {self.bootstrap}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        wait_until(lambda: not self._listening(), timeout=10)

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if EXTERNAL_BOOTSTRAP:
        yield EXTERNAL_BOOTSTRAP
        return
    broker = Broker(tmp_path_factory.mktemp("noida"))
    broker.start()
    yield broker.bootstrap
    broker.stop()


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[Broker]:
    """A broker this test may stop and start; only noida-db can be stopped from here."""
    if EXTERNAL_BOOTSTRAP:
        pytest.skip("needs a broker the test can stop and restart")
    broker = Broker(tmp_path / "noida")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def topic(kafka_bootstrap: str) -> str:
    """A fresh topic per test, so tests never see each other's messages."""
    name = f"cardledger.test.{uuid.uuid4().hex[:10]}"
    ensure_topics(kafka_bootstrap, {name: PARTITIONS, name + ".dead-letter": 1})
    return name


@pytest.fixture
def pg_runtime(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Runtime]:
    """PostgreSQL, as in production; the clock is real (commands run from threads)."""
    settings = settings_for("postgres", tmp_path, request)
    with open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as rt:
        yield rt

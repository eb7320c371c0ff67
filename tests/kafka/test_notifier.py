"""The notifier emails a customer when a card was added to or removed from
their account, once per event, through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from cardledger.demo import COMPANY
from cardledger.wiring import Runtime
from consumers.base import OfficeConsumer
from consumers.envelope import event_id
from consumers.notifier import Notifier, address_template
from tests.kafka.conftest import free_port
from tests.kafka.support import all_event_ids, consume_until, make_relay, seed_story

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(120)]

TEMPLATE = "{customer_id}@customers.{company_id}.example"


class Mailbox:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def notifier_consumer(bootstrap: str, topic: str, path: Path, smtp_port: int) -> OfficeConsumer:
    notifier = Notifier(path, smtp_host="127.0.0.1", smtp_port=smtp_port,
                        sender="payments@acme.example", address_for=address_template(TEMPLATE))
    return OfficeConsumer(notifier, bootstrap=bootstrap, topic=topic, group="notifier",
                          dead_letter_topic=topic + ".dead-letter", poll_timeout=0.2)


def test_the_customer_gets_an_email_for_each_card_added_and_removed(
        runtime: Runtime, kafka_bootstrap: str, topic: str, tmp_path: Path,
        mailbox: tuple[Mailbox, int]) -> None:
    # given the seed's story (a Visa and a Mastercard saved, the Visa deleted), relayed
    box, port = mailbox
    (customer,) = seed_story(runtime, 1)
    make_relay(runtime, kafka_bootstrap, topic).catch_up()
    # when the notifier reads the topic
    consumer = notifier_consumer(kafka_bootstrap, topic, tmp_path / "n.sqlite3", port)
    consume_until(consumer, lambda: len(box.messages) >= 3)
    consumer.close()
    # then the customer got three emails, naming the cards, never a token
    assert [m["Subject"] for m in box.messages] == [
        "Your Visa ending 4242 was saved",
        "Your Mastercard ending 4444 was saved",
        "Visa ending 4242 was removed from your account",
    ]
    assert {m["To"] for m in box.messages} == {f"{customer}@customers.{COMPANY}.example"}
    assert all("pm_card" not in m.as_string() for m in box.messages)
    # ...each with the event's id as its Message-ID, so mail systems can drop copies
    events = runtime.ledger.customer_events(COMPANY, customer)
    ids = {f"<{event_id(e.originator_id, e.originator_version)}@cardledger>" for e in events}
    assert {m["Message-ID"] for m in box.messages} <= ids


def test_an_event_delivered_twice_emails_the_customer_once(
        runtime: Runtime, kafka_bootstrap: str, topic: str, tmp_path: Path,
        mailbox: tuple[Mailbox, int]) -> None:
    # given the seed's story published twice (a second relay from the start)
    box, port = mailbox
    seed_story(runtime, 1)
    make_relay(runtime, kafka_bootstrap, topic).catch_up()
    make_relay(runtime, kafka_bootstrap, topic, name="another-relay").catch_up()
    stored = len(all_event_ids(runtime))
    # when the notifier reads both copies
    consumer = notifier_consumer(kafka_bootstrap, topic, tmp_path / "n.sqlite3", port)
    consume_until(consumer, lambda: consumer.stats.handled + consumer.stats.duplicates
                  >= 2 * stored)
    consumer.close()
    # then the three notifications went out once each
    assert len(box.messages) == 3
    assert consumer.stats.duplicates == 3

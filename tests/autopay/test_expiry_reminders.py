"""``remind-expiring``: one e-mail per card per expiry, through a real SMTP
server (aiosmtpd), recorded on the customer. Both stores."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.reminders import remind_expiring
from cardledger.settings import Settings
from cardledger.wiring import Runtime, open_runtime
from domain.autopay_events import ExpiryReminderFailed, ExpiryReminderSent
from domain.personal_data import is_sealed
from domain.processor import CardDetails
from tests.autopay.support import COMPANY, CUSTOMER, customer_with
from tests.conftest import Clock

# Expiring this month by the tests' clock (2026-11-25), next month, and in 2034.
CARDS = {
    "tok_this_month": CardDetails("visa", "1111", 11, 2026, "fp-nov"),
    "tok_next_month": CardDetails("mastercard", "2222", 12, 2026, "fp-dec"),
    "tok_later": CardDetails("amex", "3333", 12, 2034, "fp-later"),
}


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def runtime(store_settings: Settings, clock: Clock,
            mailbox: tuple[Mailbox, int]) -> Iterator[Runtime]:
    settings = store_settings.model_copy(update={
        "smtp_port": mailbox[1], "notify_address_template": "{customer_id}@{company_id}.example",
        "expiry_reminder_link_template": "https://portal.test/{company_id}/{customer_id}/cards"})
    with open_runtime(settings, processor=SandboxProcessor(CARDS), clock=clock,
                      run_projector=False) as rt:
        yield rt


def reminder_events(runtime: Runtime) -> list[Any]:
    return [e for e in runtime.ledger.customer_events(COMPANY, CUSTOMER)
            if isinstance(e, ExpiryReminderSent | ExpiryReminderFailed)]


def test_each_expiring_card_gets_one_email_naming_autopays_card(
        runtime: Runtime, mailbox: tuple[Mailbox, int]) -> None:
    this_month, next_month, _ = customer_with(runtime, "tok_this_month", "tok_next_month",
                                              "tok_later")
    assert remind_expiring(runtime, within_days=40) == Counter({"sent": 2})
    box = mailbox[0]
    subjects = sorted(m["Subject"] for m in box.messages)
    assert subjects == ["Your Mastercard ending 2222 expires 12/2026",
                        "Your Visa ending 1111 expires 11/2026 (autopay card)"]
    autopay_mail = next(m for m in box.messages if "autopay" in m["Subject"])
    assert autopay_mail["To"] == f"{CUSTOMER}@{COMPANY}.example"
    body = autopay_mail.get_payload(decode=True).decode()
    assert "the card autopay charges" in body
    assert f"https://portal.test/{COMPANY}/{CUSTOMER}/cards" in body
    events = reminder_events(runtime)
    assert [(e.card_id, e.autopay, e.actor, e.source) for e in events] == [
        (this_month, True, "system:remind-expiring", "scheduler"),
        (next_month, False, "system:remind-expiring", "scheduler")]
    # The next run, and the one after: nothing new.
    assert remind_expiring(runtime, within_days=40) == Counter({"already": 2})
    assert len(box.messages) == 2


def test_a_card_whose_expiry_the_updater_moved_is_reminded_again_for_the_new_date(
        runtime: Runtime, mailbox: tuple[Mailbox, int]) -> None:
    customer_with(runtime, "tok_this_month")
    remind_expiring(runtime, within_days=5)
    runtime.ledger.record_processor_update(f"cus_sandbox.{COMPANY}.{CUSTOMER}",
                                           "tok_this_month", last4="1111", exp_month=12,
                                           exp_year=2026, reason="expiry", event_id="evt-1")
    assert remind_expiring(runtime, within_days=5) == Counter()  # out of the window now
    assert remind_expiring(runtime, within_days=40) == Counter({"sent": 1})
    assert [m["Subject"] for m in mailbox[0].messages] == [
        "Your Visa ending 1111 expires 11/2026 (autopay card)",
        "Your Visa ending 1111 expires 12/2026 (autopay card)"]


def test_a_failed_send_is_recorded_and_tried_again_by_the_next_run(
        runtime: Runtime, mailbox: tuple[Mailbox, int]) -> None:
    customer_with(runtime, "tok_this_month")
    good_port = runtime.settings.smtp_port
    runtime.settings.smtp_port = free_port()  # nobody listens there
    assert remind_expiring(runtime, within_days=5) == Counter({"failed": 1})
    assert [type(e).__name__ for e in reminder_events(runtime)] == ["ExpiryReminderSent",
                                                                    "ExpiryReminderFailed"]
    # The mail server's answer may quote the address: stored sealed, readable
    # with the customer's key, and kept out of the history (docs/erasure.md)
    failed = reminder_events(runtime)[-1]
    assert is_sealed(failed.error)
    assert runtime.ledger.personal_data.reveal(COMPANY, CUSTOMER, "error", failed.error)
    assert failed.summary == "expires 11/2026: not sent"
    runtime.settings.smtp_port = good_port
    assert remind_expiring(runtime, within_days=5) == Counter({"sent": 1})
    assert len(mailbox[0].messages) == 1


def test_the_history_shows_the_reminder_with_who_sent_it(runtime: Runtime) -> None:
    customer_with(runtime, "tok_this_month")
    remind_expiring(runtime, within_days=5)
    latest = runtime.read_model.history(COMPANY, CUSTOMER)[0]
    assert (latest.action, latest.actor, latest.source, latest.detail) == (
        "expiry_reminder_sent", "system:remind-expiring", "scheduler",
        "expires 11/2026, autopay card")

"""``cardledger remind-expiring``: e-mails customers whose cards expire soon.

Reads the expiring-cards report (the views), claims each card's reminder on
the customer's stream (at most one per card per expiry, domain/reminders.py),
then sends it through the notifier's SMTP settings. Run it on a schedule
(cron, or the compose service); a run after a failed send tries that one again.
"""

from __future__ import annotations

import logging
import smtplib
from collections import Counter
from email.message import EmailMessage

from cardledger.settings import Settings
from cardledger.wiring import Runtime
from domain.provenance import Provenance
from domain.reminders import Reminder
from projections.autopay_views import companies, expiring_cards

log = logging.getLogger("cardledger.reminders")
REMINDER_JOB = Provenance("system:remind-expiring", "scheduler")
PAGE = 200


def remind_expiring(runtime: Runtime, *, within_days: int = 30) -> Counter[str]:
    """Counts: sent, already (claimed before), no_address, failed."""
    runtime.projector.catch_up()
    settings, db = runtime.settings, runtime.read_model.db
    today = runtime.ledger.clock().date()
    counts: Counter[str] = Counter()
    for company in companies(db):
        after = None
        while True:
            cards, more = expiring_cards(db, company, today, within_days, limit=PAGE,
                                         after=after)
            for card in cards:
                counts[_remind(runtime, settings, company, card.customer_id,
                               card.payment_method_id)] += 1
            if not more:
                break
            after = cards[-1].cursor
    runtime.projector.catch_up()
    return counts


def _remind(runtime: Runtime, settings: Settings, company: str, customer: str,
            card_id: str) -> str:
    template = settings.notify_address_template
    address = template.format(company_id=company, customer_id=customer) if template else None
    if not address:
        return "no_address"
    autopay = runtime.ledger.autopay
    reminder = autopay.claim_reminder(company, customer, card_id, REMINDER_JOB)
    if reminder is None:
        return "already"
    try:
        send(settings, address, message_for(settings, company, customer, reminder))
    except (OSError, smtplib.SMTPException) as e:
        log.warning("expiry reminder for %s not sent: %s", card_id, type(e).__name__)
        autopay.release_reminder(company, customer, reminder, f"{type(e).__name__}: {e}",
                                 REMINDER_JOB)
        return "failed"
    return "sent"


def message_for(settings: Settings, company: str, customer: str,
                reminder: Reminder) -> EmailMessage:
    card = f"{reminder.brand.title()} ending {reminder.last4}"
    expiry = f"{reminder.exp_month:02d}/{reminder.exp_year}"
    link = settings.expiry_reminder_link_template.format(
        company_id=company, customer_id=customer, payment_method_id=reminder.card_id)
    lines = [f"Your {card} expires at the end of {expiry}."]
    if reminder.autopay:
        lines.append("This is the card autopay charges: update it so your invoices keep "
                     "being paid on time.")
    lines.append(f"Update your card: {link}")
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["Subject"] = f"Your {card} expires {expiry}" + (" (autopay card)"
                                                            if reminder.autopay else "")
    # One id per card and expiry: a mail system can drop a copy.
    message["Message-ID"] = (f"<expiry-{reminder.card_id}-{reminder.exp_year}"
                             f"{reminder.exp_month:02d}@cardledger>")
    message.set_content("\n\n".join(lines) + "\n")
    return message


def send(settings: Settings, address: str, message: EmailMessage) -> None:
    message["To"] = address
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)

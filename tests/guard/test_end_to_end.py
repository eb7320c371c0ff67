"""End to end: generated attacks over real HTTP against a live server, on
SQLite and on PostgreSQL (150 cases each).

Every case must be refused with problem+json, or, if some layer let it in,
leave no card number behind: no Luhn-valid run (the rule's own test) and no
form of the number as it was sent, in any stored event, any view row, any
Kafka envelope the relay would publish (built with the relay's own code,
without a broker) or any log line. A quarter of the cases aim at fields a
command stores (a customer id, an Idempotency-Key, an X-Actor, an invoice
id), written in characters that field accepts, so a miss there is a leak,
not a shrug.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.auth import KeyRing
from api.problems import PROBLEM_JSON
from cardledger.card_data import looks_like_card_number
from consumers.envelope import envelope_of
from domain.ids import random_id
from projections.schema import VIEW_TABLES
from tests.api.client import Api, keys_setting, new_keys
from tests.api.conftest import Live
from tests.api.logs import captured_logs
from tests.guard import cases
from tests.guard.cases import Attack
from tests.guard.drafts import Target
from tests.guard.strategies import attacks
from tests.guard.test_refused import PROPERTY

BUILDERS = (cases.attack_in_a_stored_field, cases.attack_in_a_stored_field,
            cases.attack_in_body_text, cases.attack_as_key, cases.attack_as_number,
            cases.attack_in_foreign_encoding, cases.attack_in_path, cases.attack_in_query,
            cases.attack_in_header, cases.attack_in_header_name,
            cases.attack_split_by_any_separator)
# Hashes the service computes (never a caller's text) hold hex digit runs by
# chance; the rule would read 1 in a few hundred of them as a card number.
HASHES = frozenset({"request_hash", "fingerprint", "aggregate_id", "event_id"})


@dataclass
class Setup:
    live: Live
    api: Api
    target: Target


@pytest.fixture(scope="module")
def setup(live: Live) -> Iterator[Setup]:
    """Given a company (letters-only ids) with online payments on and a
    customer with a saved card, and keys for every role."""
    company, other = random_id("co", 12), random_id("co", 12)
    keys = new_keys(company, other)
    live.app.state.keys = KeyRing.parse(keys_setting(keys))
    api = Api(live.url, keys, company, other)
    api.given_online_payments()
    customer = random_id("cu", 12)
    card = api.given_card(customer)
    target = Target(company, customer, card, {role: keys[role][0] for role in
                                              ("portal", "office", "auditor", "admin")})
    yield Setup(live, api, target)
    api.close()


def sent(live: Live, attack: Attack) -> httpx.Response:
    """The request exactly as built: raw path and query, header bytes, body bytes."""
    request = attack.request
    target = request.raw_path + (b"?" + request.query_string if request.query_string else b"")
    headers = [(name, value) for name, value in request.headers if name != b"host"]
    with httpx.Client(timeout=30) as client:
        return client.request(request.method, httpx.URL(live.url).copy_with(raw_path=target),
                              headers=headers, content=request.body or None)


def stored_since(live: Live, position: int) -> list[tuple[str, Any]]:
    """(what, document) for each event stored after ``position`` and its envelope."""
    ledger = live.runtime.ledger
    found = []
    for notification in ledger.recorder.select_notifications(
            start=position, limit=10**6, inclusive_of_start=False):
        found.append(("event", json.loads(notification.state)))
        envelope = envelope_of(ledger.mapper.to_domain_event(notification), notification.topic,
                               notification.id)
        found.append(("envelope", json.loads(envelope.to_bytes())))
    return found


def view_rows(live: Live) -> list[tuple[str, Any]]:
    db = live.runtime.read_model.db
    return [(table, row) for table in VIEW_TABLES for row in db.read(f"SELECT * FROM {table}")]


def texts_in(document: Any) -> Iterator[str]:
    """Every key and leaf value, as text; hashed fields left out."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield str(key)
            if key not in HASHES:
                yield from texts_in(value)
    elif isinstance(document, list):
        for item in document:
            yield from texts_in(item)
    elif document is not None:
        yield str(document)


def assert_no_trace(attack: Attack, where: str, texts: list[str]) -> None:
    """No Luhn-valid run (the rule's test), and not the number as it was sent."""
    for text in texts:
        assert not looks_like_card_number(text), f"card number in {where}: {text!r} ({attack!r})"
    assert_not_echoed(attack, where, texts)


def assert_not_echoed(attack: Attack, where: str, texts: list[str]) -> None:
    forms = {attack.number, attack.sent} if attack.number else set()
    for text in texts:
        for form in forms:
            assert form not in text, f"{form!r} in {where}: {text!r} ({attack!r})"


@settings(PROPERTY, max_examples=150)
@given(data=st.data())
def test_a_card_number_sent_over_http_is_refused_and_leaves_no_trace(
        setup: Setup, data: st.DataObject) -> None:
    # given an attack on one of the routes, with this server's ids and keys
    builder = data.draw(st.sampled_from(BUILDERS), label="builder")
    attack = data.draw(attacks(builder, setup.target), label="attack")
    position = setup.live.runtime.ledger.recorder.max_notification_id() or 0
    # when it is sent over HTTP
    with captured_logs() as logs:
        response = sent(setup.live, attack)
    # then it is refused with problem+json (by the guard, or by a route if the
    # guard missed it), or it was let in and nothing it carried was kept
    if response.status_code >= 400:
        assert response.status_code < 500, response.text
        assert response.headers["content-type"] == PROBLEM_JSON
    for what, document in stored_since(setup.live, position):
        assert_no_trace(attack, what, list(texts_in(document)))
    for table, row in view_rows(setup.live):
        assert_no_trace(attack, table, list(texts_in(row)))
    assert_no_trace(attack, "the logs", [record.getMessage() for record in logs.records])
    assert_not_echoed(attack, "the answer", [response.text])

"""Autopay in the pages: the customer turns it on in the portal under the
agreement shown in full, the office sees the consent and the history, and
deleting autopay's card is refused until the customer deletes it anyway.

Given a customer with two cards (the second primary) and online payments on,
when the customer ticks the agreement and turns autopay on for the other
card, then deletes that card (refused: 409 card-in-use-by-autopay, then
"Delete anyway"), then autopay follows the primary, and the office record
shows the consent (version, channel, who, when) and View History shows
autopay turned on, the card deleted and autopay's card changed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Site, Tab
from tests.browser.test_accessibility import (
    given_a_customer_with_two_cards_and_a_payment,
    not_reached_by_tab,
    open_state,
    serious_violations,
    tab_to,
)
from tests.browser.test_story import IMAGES

SCREENSHOTS = bool(os.environ.get("CARDLEDGER_SCREENSHOTS"))  # see test_story.IMAGES
VERSION = "autopay-consent-v1"  # ui/static/consent.js
# given_a_customer_with_two_cards_and_a_payment's cards (localstripe calls every card a Visa)
OTHER = "Visa •••• 4242"
PRIMARY = {"sandbox": "Mastercard •••• 4444", "stripe": "Visa •••• 4444"}


def test_enrolment_with_consent_the_office_record_and_the_forced_delete(
        site: Site, tabs: Callable[[Site], Tab], axe_source: str,
        request: pytest.FixtureRequest) -> None:
    customer = given_a_customer_with_two_cards_and_a_payment(site, request)
    primary = PRIMARY[site.processor]
    portal_tab = tabs(site)
    portal_tab.sign_in("portal", customer=customer)
    page = portal_tab.open("/ui/portal")
    autopay = page.locator("#autopay-section")
    expect(autopay.locator("#autopay-state")).to_have_text(
        "Autopay is off: invoices are paid only when you pay them.")
    expect(page.get_by_role("button", name="Turn off autopay")).to_be_hidden()
    # The agreement is shown in full, naming the company, with its version.
    expect(page.locator("#consent-version")).to_have_text(f"({VERSION})")
    expect(page.locator("#consent-text p")).to_have_count(5)
    expect(page.locator("#consent-text")).to_contain_text(f"I authorise {site.company} to charge")

    # When the customer asks without ticking the agreement, nothing is sent.
    page.get_by_role("button", name="Turn on autopay").click()
    expect(page.get_by_role("alert")).to_have_text(re.compile(r"^Tick .I have read"))
    expect(autopay.locator("#autopay-state")).to_contain_text("Autopay is off")

    # When the customer picks the card that is not the primary and agrees.
    expect(page.get_by_label("Card autopay charges")).to_have_value("")  # the primary by default
    page.get_by_label("Card autopay charges").select_option(label=OTHER)
    page.get_by_label("I have read the autopay agreement above and agree to it").check()
    page.get_by_role("button", name="Turn on autopay").click()
    expect(page.locator("#autopay-status")).to_have_text(f"Autopay is on: it charges {OTHER}.")
    expect(page.locator("#autopay-consent-line")).to_have_text(re.compile(
        rf"^Agreed to {VERSION} on \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC, in the portal, "
        rf"by customer:{customer}\.$"))
    expect(page.get_by_label("I have read the autopay agreement above and agree to it")).not_to_be_checked()
    expect(page.get_by_role("button", name="Turn off autopay")).to_be_visible()
    sent = [body for url, body in portal_tab.sent if url.endswith("/autopay")]
    assert any(f'"text_version":"{VERSION}","channel":"portal"' in body for body in sent)
    assert serious_violations(page, axe_source) == []

    # And deletes that card: the API refuses, the page says why and offers to delete anyway.
    page.get_by_role("button", name=f"Delete {OTHER}").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete card").click()
    force = page.locator("#confirm-force-delete")
    expect(force).to_be_visible()
    expect(force.locator("#force-delete-title")).to_have_text(re.compile("[Aa]utopay"))
    expect(force.locator("#force-delete-detail")).to_contain_text("force=true")
    expect(force.locator("#force-delete-explanation")).to_have_text(
        f"If you delete it anyway, autopay charges your primary card ({primary}) from then on.")
    expect(force.get_by_role("button", name="Keep it")).to_be_focused()
    if SCREENSHOTS and site.processor == "sandbox":
        page.screenshot(path=IMAGES / "portal-autopay-delete.png")
    assert serious_violations(page, axe_source) == []
    expect(page.locator("li.card .card-name")).to_have_text([primary, OTHER])  # nothing deleted yet
    force.get_by_role("button", name="Delete anyway").click()
    expect(page.locator("#add-status")).to_have_text(
        f"{OTHER} was deleted. Autopay is on: it charges your primary card ({primary}).")
    expect(page.locator("li.card .card-name")).to_have_text([primary])
    expect(page.locator("#autopay-state")).to_have_text(
        f"Autopay is on: it charges your primary card ({primary}).")

    # Then the office record shows autopay and the consent it charges under ...
    office_tab = tabs(site)
    office_tab.sign_in("office", user="jdoe")
    office = office_tab.open(f"/ui/office?customer={customer}")
    facts = office.locator("#autopay")
    expect(facts.locator("dt")).to_have_text(
        ["Status", "Charges", "Consent", "Channel", "Accepted at", "Accepted by", "From"])
    expect(facts.locator("dd")).to_have_text([
        "On", f"the primary card ({primary})", re.compile(rf"^{VERSION} \(\S+\)$"), "portal",
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$"), f"customer:{customer}", "portal"])
    # ... and View History the three steps, newest first.
    history = office.locator("#history tbody tr")
    expect(history.locator("td:nth-child(2)").first).to_have_text("Autopay card changed")
    actions = history.locator("td:nth-child(2)")
    expect(actions.nth(1)).to_have_text("Card deleted")
    expect(actions.nth(2)).to_have_text("Autopay turned on")
    expect(history.nth(0).locator("td:nth-child(3)")).to_have_text(OTHER)
    expect(history.nth(0).locator("td:nth-child(6)")).to_have_text("card-removed")
    expect(history.nth(2).locator("td:nth-child(3)")).to_have_text(OTHER)
    expect(history.nth(2).locator("td:nth-child(6)")).to_contain_text(f"({VERSION}, portal)")
    assert serious_violations(office, axe_source) == []



def test_autopay_is_turned_on_and_off_with_the_keyboard_alone(
        sandbox_site: Site, tabs: Callable[[Site], Tab], axe_source: str,
        request: pytest.FixtureRequest) -> None:
    customer = given_a_customer_with_two_cards_and_a_payment(sandbox_site, request)
    page = open_state(tabs, sandbox_site, "portal", customer)
    primary = PRIMARY["sandbox"]

    tab_to(page, "autopay-agree")
    page.keyboard.press("Space")
    expect(page.get_by_label("I have read the autopay agreement above and agree to it")).to_be_checked()
    tab_to(page, "autopay-on")
    page.keyboard.press("Enter")
    expect(page.locator("#autopay-status")).to_have_text(
        f"Autopay is on: it charges your primary card ({primary}).")
    if SCREENSHOTS:
        page.locator("#autopay-section").screenshot(path=IMAGES / "portal-autopay.png")
    # Every control of the on-state (Change autopay card, Turn off autopay) is reached.
    assert not_reached_by_tab(page) == []

    page.get_by_role("heading", name="Autopay", exact=True).focus()
    tab_to(page, "autopay-off")
    expect(page.get_by_role("button", name="Turn off autopay")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#autopay-status")).to_have_text(
        "Autopay is off: invoices are paid only when you pay them.")
    expect(page.get_by_role("heading", name="Autopay", exact=True)).to_be_focused()  # the pressed button is gone
    expect(page.get_by_role("button", name="Turn off autopay")).to_be_hidden()


def test_an_office_user_records_how_the_customer_agreed(
        sandbox_site: Site, tabs: Callable[[Site], Tab], request: pytest.FixtureRequest) -> None:
    customer = given_a_customer_with_two_cards_and_a_payment(sandbox_site, request)
    tab = tabs(sandbox_site)
    tab.sign_in("office", user="jdoe")
    page = tab.open(f"/ui/portal?customer={customer}")
    page.locator("li.card >> nth=1").wait_for()
    page.get_by_label("How the customer agreed").select_option("phone")
    page.get_by_label("I have read the autopay agreement above and agree to it").check()
    page.get_by_role("button", name="Turn on autopay").click()
    expect(page.locator("#autopay-consent-line")).to_have_text(re.compile(
        rf"^Agreed to {VERSION} on .* UTC, by phone, by user:jdoe\.$"))
    record = tab.open(f"/ui/office?customer={customer}")
    expect(record.locator("#autopay dd").nth(3)).to_have_text("phone")
    expect(record.locator("#autopay dd").nth(6)).to_have_text("office")


def test_deleting_the_last_card_anyway_turns_autopay_off(
        sandbox_site: Site, tabs: Callable[[Site], Tab], request: pytest.FixtureRequest) -> None:
    customer = given_a_customer_with_two_cards_and_a_payment(sandbox_site, request)
    page = open_state(tabs, sandbox_site, "portal", customer)
    primary = PRIMARY["sandbox"]
    page.get_by_role("button", name=f"Delete {OTHER}").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete card").click()
    expect(page.locator("li.card .card-name")).to_have_text([primary])  # autopay off: no 409
    page.get_by_label("I have read the autopay agreement above and agree to it").check()
    page.get_by_role("button", name="Turn on autopay").click()
    expect(page.locator("#autopay-status")).to_have_text(
        f"Autopay is on: it charges your primary card ({primary}).")

    page.get_by_role("button", name=f"Delete {primary}").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete card").click()
    force = page.locator("#confirm-force-delete")
    expect(force.locator("#force-delete-explanation")).to_have_text(
        "If you delete it anyway, autopay is turned off: no card would be left for it to charge.")
    page.keyboard.press("Escape")  # keeps it: focus back on its Delete button
    expect(force).to_be_hidden()
    expect(page.get_by_role("button", name=f"Delete {primary}")).to_be_focused()
    expect(page.locator("li.card .card-name")).to_have_text([primary])

    page.keyboard.press("Enter")
    page.get_by_role("dialog").get_by_role("button", name="Delete card").click()
    force.get_by_role("button", name="Delete anyway").click()
    expect(page.locator("#add-status")).to_have_text(
        f"{primary} was deleted. Autopay is off: invoices are paid only when you pay them.")
    expect(page.locator("#cards-empty")).to_be_visible()
    expect(page.locator("#autopay-needs-card")).to_be_visible()
    expect(page.locator("#autopay-form")).to_be_hidden()

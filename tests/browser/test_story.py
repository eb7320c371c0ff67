"""The seed's whole story, clicked through in Chromium on both processors.

Given a company whose admin switches online payments on, when the customer
adds two cards in the portal (through Stripe.js against localstripe, or the
sandbox's test cards by name), sets the first as primary again, pays an
invoice with the other one and deletes it, then the office sees each step
in View History, newest first, and the auditor replays the instant of the
set-primary to see both cards then next to the one card today.
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Site, Tab

# The docs' screenshots are remade only on request (a test run leaves the
# checkout clean): CARDLEDGER_SCREENSHOTS=docs/images ./run test tests/browser
IMAGES = Path(os.environ.get("CARDLEDGER_SCREENSHOTS") or tempfile.mkdtemp(prefix="cl-shots-"))

# What each processor's card looks like once saved (localstripe calls every card a Visa).
CARDS = {
    "sandbox": {"first": "Visa •••• 4242", "second": "Mastercard •••• 4444"},
    "stripe": {"first": "Visa •••• 4242", "second": "Visa •••• 4444"},
}
NUMBERS = {"first": "4242424242424242", "second": "5555555555554444"}
TEST_CARDS = {"first": "Visa credit ending 4242, expires 12/2034",
              "second": "Mastercard credit ending 4444, expires 12/2034"}


def add_card(page: Page, site: Site, which: str, *, make_primary: bool,
             becomes_primary: bool) -> None:
    """The portal's Add Payment Method: the number only ever goes to Stripe.js."""
    if site.processor == "stripe":
        expect(page.get_by_label("Test card")).to_be_hidden()
        card = page.locator("#card-element")
        card.get_by_placeholder("number").fill(NUMBERS[which])
        card.get_by_placeholder("exp_month").fill("12")
        card.get_by_placeholder("exp_year").fill("34")
        card.get_by_placeholder("cvc").fill("123")
        card.get_by_placeholder("postal_code").fill("10001")
    else:
        expect(page.locator("#card-element")).to_be_hidden()
        page.get_by_label("Test card").select_option(label=TEST_CARDS[which])
    if make_primary:
        page.get_by_label("Make this my primary payment method").check()
    page.get_by_role("button", name="Add Payment Method").click()
    name = CARDS[site.processor][which]
    expect(page.locator("#add-status")).to_have_text(
        f"{name} was added{' as your primary payment method' if becomes_primary else ''}.")


def card_item(page: Page, name: str):  # noqa: ANN201 (a Locator)
    return page.locator("li.card", has=page.get_by_text(name, exact=True))


def test_the_seed_story_in_the_browser(site: Site, tabs: Callable[[Site], Tab]) -> None:
    first, second = CARDS[site.processor]["first"], CARDS[site.processor]["second"]
    customer = "cu" + uuid.uuid4().hex[:8]
    screenshots = site.processor == "sandbox"

    # Given the admin switches online payments on.
    admin = tabs(site).sign_in("admin", user="ada")
    expect(admin.get_by_role("status")).to_have_text(f"Online payments are off for {site.company}.")
    admin.get_by_role("button", name="Switch online payments on").click()
    expect(admin.get_by_role("status")).to_have_text(f"Online payments are on for {site.company}.")

    # When the customer adds two cards, the second as primary.
    portal_tab = tabs(site)
    portal_tab.sign_in("portal", customer=customer)
    portal = portal_tab.open("/ui/portal")
    expect(portal.locator("#cards-empty")).to_be_visible()
    add_card(portal, site, "first", make_primary=False, becomes_primary=True)  # the first card
    add_card(portal, site, "second", make_primary=True, becomes_primary=True)
    expect(portal.locator("li.card .card-name")).to_have_text([second, first])  # primary first
    expect(card_item(portal, second).locator(".badge")).to_have_text("Primary")

    # ... makes the first primary again ...
    portal.get_by_role("button", name=f"Set as Primary {first}").click()
    expect(portal.locator("#add-status")).to_have_text(
        f"{first} is now your primary payment method.")
    expect(portal.locator("li.card .card-name")).to_have_text([first, second])
    expect(card_item(portal, first).locator(".badge")).to_have_text("Primary")

    # ... pays an invoice with the card that is not the primary ...
    expect(portal.get_by_label("Pay with")).to_have_value("")  # the primary by default
    portal.get_by_label("Invoice number").fill("INV-1042")
    portal.get_by_label("Amount").fill("125.00")
    portal.get_by_label("Pay with").select_option(label=second)
    portal.get_by_role("button", name="Pay invoice").click()
    expect(portal.locator("#pay-status")).to_have_text(
        f"Invoice INV-1042, 125.00 USD with {second}: paid.")
    expect(portal.locator("#payments tbody tr")).to_have_count(1)
    if screenshots:
        portal.screenshot(path=IMAGES / "portal.png", full_page=True)

    # ... and deletes it, after confirming.
    portal.get_by_role("button", name=f"Delete {second}").click()
    dialog = portal.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Delete {second}?")
    dialog.get_by_role("button", name="Delete card").click()
    expect(portal.locator("#add-status")).to_have_text(f"{second} was deleted.")
    expect(portal.locator("li.card .card-name")).to_have_text([first])
    # The numbers went to Stripe.js's server only; cardledger got pm_... tokens.
    to_cardledger = " ".join(portal_tab.sent_to(site.url))
    assert "pm_" in to_cardledger or site.processor == "sandbox"
    assert not any(number in to_cardledger for number in NUMBERS.values())
    if site.processor == "stripe":
        to_stripe = " ".join(portal_tab.sent_to(site.live.runtime.settings.stripe_api_base))
        assert all(number in to_stripe for number in NUMBERS.values())

    # Then the office sees every step in View History, newest first, five to a page.
    office_tab = tabs(site)
    office_tab.sign_in("office", user="jdoe")
    office = office_tab.open(f"/ui/office?customer={customer}&page_size=5")
    expect(office.locator("#cards tbody th")).to_have_text([first])
    history = office.locator("#history tbody tr")
    expect(history.locator("td:nth-child(2)")).to_have_text([
        "Card deleted", "Invoice paid", "Set as primary", "Set as primary", "Card added"])
    expect(history.locator("td:nth-child(3)")).to_have_text([second, second, first, second, second])
    expect(history.locator("td:nth-child(4)")).to_have_text([f"customer:{customer}"] * 5)
    expect(history.locator("td:nth-child(5)")).to_have_text(["portal"] * 5)
    expect(history.locator("td:nth-child(6)")).to_contain_text(
        ["removed", "", "chosen", "added-as-primary", ""])
    expect(history.locator("th")).to_have_text(
        [re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$")] * 5)
    if screenshots:
        office.screenshot(path=IMAGES / "office.png", full_page=True)
    office.get_by_role("button", name="Older").click()
    expect(office.locator("#page-label")).to_have_text("Page 2")
    expect(history.locator("td:nth-child(2)")).to_have_text([
        "Set as primary", "Card added", "Online payments switched on"])
    expect(history.locator("td:nth-child(3)")).to_have_text([first, first, ""])
    expect(history.locator("td:nth-child(4)")).to_have_text(
        [f"customer:{customer}", f"customer:{customer}", "user:ada"])
    expect(history.locator("td:nth-child(5)")).to_have_text(["portal", "portal", "admin"])
    expect(office.get_by_role("button", name="Older")).to_be_disabled()
    office.get_by_role("button", name="Newest").click()
    expect(history).to_have_count(5)

    # And the auditor replays the instant of the set-primary: both cards then, one today.
    auditor_tab = tabs(site)
    auditor_tab.sign_in("auditor", user="audrey")
    record = auditor_tab.open(f"/ui/office?customer={customer}")
    set_primary_row = record.locator("#history tbody tr").nth(2)
    expect(set_primary_row.locator("td").first).to_have_text("Set as primary")
    set_primary_row.get_by_role("link", name=re.compile(r"^Replay as of this \(")).click()
    audit = auditor_tab.page
    expect(audit.locator("#then tbody th")).to_have_text([first, second])
    expect(audit.locator("#then tbody tr").first).to_contain_text("Primary")
    expect(audit.locator("#now tbody th")).to_have_text([first])
    expect(audit.locator("#events tbody tr td:nth-child(2)").first).to_have_text("Registered")
    audit.get_by_role("button", name="Verify this customer").click()
    expect(audit.locator("#verify-result")).to_have_text(re.compile(
        r"^Consistent: the events replayed to version \d+ give exactly the card list\.$"))
    if screenshots:
        audit.screenshot(path=IMAGES / "audit.png")  # the top: the raw stream is long

"""Every page and state of the /ui/ pages: axe-core (npm) injected into the
page finds no serious or critical violation, and every control can be
reached, and the main actions done, with the keyboard alone."""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import stripe
from playwright.sync_api import Page, expect

from tests.browser.conftest import Site, Tab
from tests.stripe_server import card_token

# Sandbox tokens, or the card numbers localstripe makes payment methods of.
CARDS = {"sandbox": ("pm_card_visa", "pm_card_mastercard"),
         "stripe": ("4242424242424242", "5555555555554444")}


def given_a_customer_with_two_cards_and_a_payment(site: Site, request: pytest.FixtureRequest,
                                                  ) -> str:
    """Through the API, so that only the page under test is clicked."""
    customer = "cu" + uuid.uuid4().hex[:8]
    company = f"{site.url}/v1/companies/{site.company}"
    cards = f"{company}/customers/{customer}/payment-methods"
    tokens = CARDS[site.processor]
    if site.processor == "stripe":
        api: stripe.StripeClient = request.getfixturevalue("stripe_api")
        tokens = tuple(card_token(api, number) for number in tokens)

    def send(role: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        actor = f"customer:{customer}" if role == "portal" else "user:ada"
        response = httpx.request(method, url, timeout=30, headers={
            "Authorization": f"Bearer {site.keys[role]}", "X-Actor": actor,
            "Idempotency-Key": "".join(secrets.choice(string.ascii_letters) for _ in range(24))},
            **kwargs)
        assert response.is_success, response.text
        return response

    send("admin", "PUT", f"{company}/settings/online-payments", json={"enabled": True})
    send("portal", "POST", cards, json={"token": tokens[0]})
    send("portal", "POST", cards, json={"token": tokens[1], "make_primary": True})
    send("portal", "POST", f"{company}/customers/{customer}/payments",
         json={"invoice_id": "INV-7", "amount": 4200, "currency": "usd"})
    return customer


# page state -> (role signed in, path, what shows the state is ready)
STATES: dict[str, tuple[str, str, str]] = {
    "sign-in": ("", "/ui/", "#sign-in-form"),
    "signed-in": ("admin", "/ui/", "#switch-online-payments"),
    "portal": ("portal", "/ui/portal", "li.card >> nth=1"),
    "office": ("office", "/ui/office?customer={customer}&page_size=4", "#older"),
    "audit": ("auditor", "/ui/audit?customer={customer}&as_of={now}", "#events tbody tr >> nth=0"),
}


def open_state(tabs: Callable[[Site], Tab], site: Site, state: str, customer: str) -> Page:
    role, path, ready = STATES[state]
    tab = tabs(site)
    if role:
        tab.sign_in(role, customer=customer if role == "portal" else None,
                    user=None if role == "portal" else "ada")
    page = tab.open(path.format(customer=customer, now=quote(datetime.now(UTC).isoformat())))
    page.locator(ready).wait_for()
    if state == "portal":
        page.locator("#sandbox-entry:not([hidden]), #stripe-entry:not([hidden])").wait_for()
    return page


def serious_violations(page: Page, axe_source: str) -> list[str]:
    # evaluate() runs outside the page's CSP, which forbids inline scripts.
    page.evaluate(axe_source)
    violations = page.evaluate("""async () => (
        await axe.run(document, {resultTypes: ['violations']}))
        .violations.map(v => ({id: v.id, impact: v.impact,
                               nodes: v.nodes.map(n => n.target.join(' '))}))""")
    return [f"{v['id']} ({v['impact']}): {v['nodes']}" for v in violations
            if v["impact"] in ("serious", "critical")]


def not_reached_by_tab(page: Page) -> list[str]:
    """Presses Tab once more than there are controls, from the top of the page;
    answers the visible, enabled controls that never got the focus."""
    controls = """[...document.querySelectorAll(
            'a[href], button, input, select, textarea, [tabindex]')]
        .filter(e => (e.matches('[tabindex]:not(a, button, input, select, textarea)')
                      ? e.tabIndex >= 0 : true) && !e.disabled && e.checkVisibility())"""
    count = page.evaluate(f"""() => {{
        window.focusedByTab = new Set();
        document.addEventListener('focusin', e => window.focusedByTab.add(e.target));
        document.activeElement?.blur();
        return {controls}.length; }}""")
    for _ in range(count + 1):
        page.keyboard.press("Tab")
    return page.evaluate(f"""() => {controls}.filter(e => !window.focusedByTab.has(e))
        .map(e => e.outerHTML.slice(0, 80))""")


@pytest.mark.parametrize("state", STATES)
def test_no_serious_or_critical_accessibility_violations(
        site: Site, state: str, tabs: Callable[[Site], Tab], axe_source: str,
        request: pytest.FixtureRequest) -> None:
    customer = given_a_customer_with_two_cards_and_a_payment(site, request)
    page = open_state(tabs, site, state, customer)
    assert serious_violations(page, axe_source) == []


def test_the_delete_confirmation_has_no_serious_accessibility_violations(
        sandbox_site: Site, tabs: Callable[[Site], Tab], axe_source: str,
        request: pytest.FixtureRequest) -> None:
    customer = given_a_customer_with_two_cards_and_a_payment(sandbox_site, request)
    page = open_state(tabs, sandbox_site, "portal", customer)
    page.get_by_role("button", name="Delete Visa •••• 4242").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert serious_violations(page, axe_source) == []


@pytest.mark.parametrize("state", STATES)
def test_every_control_is_reached_with_the_tab_key(
        sandbox_site: Site, state: str, tabs: Callable[[Site], Tab],
        request: pytest.FixtureRequest) -> None:
    customer = given_a_customer_with_two_cards_and_a_payment(sandbox_site, request)
    page = open_state(tabs, sandbox_site, state, customer)
    assert not_reached_by_tab(page) == []


def tab_to(page: Page, name: str) -> None:
    """Tab until the focused control's accessible name is ``name``."""
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.id || "
                                "document.activeElement.textContent.trim()")
        if focused == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_signing_in_and_the_portal_actions_work_with_the_keyboard_alone(
        sandbox_site: Site, tabs: Callable[[Site], Tab], request: pytest.FixtureRequest) -> None:
    customer = given_a_customer_with_two_cards_and_a_payment(sandbox_site, request)
    tab = tabs(sandbox_site)
    page = tab.open("/ui/")
    tab_to(page, "key")
    page.keyboard.type(sandbox_site.keys["portal"])
    page.keyboard.press("Tab")
    page.keyboard.type(customer)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Signed in")).to_be_focused()

    page = tab.open("/ui/portal")
    page.locator("li.card >> nth=1").wait_for()
    tab_to(page, "Set as Primary Visa •••• 4242")
    page.keyboard.press("Enter")
    expect(page.locator("li.card .card-name").first).to_have_text("Visa •••• 4242")

    tab_to(page, "Delete Mastercard •••• 4444")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Keep it")).to_be_focused()
    page.keyboard.press("Escape")  # cancels: nothing deleted, focus back where it was
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.get_by_role("button", name="Delete Mastercard •••• 4444")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+Tab")  # Keep it -> Delete card
    expect(page.get_by_role("button", name="Delete card")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("li.card .card-name")).to_have_text(["Visa •••• 4242"])

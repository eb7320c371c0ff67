"""The pages act as the signed-in key's role: a portal key stays on its own
customer, and a page for other roles says so instead of showing anything.
Cards past their expiry month are flagged, by the browser's own clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Site, Tab
from tests.browser.test_accessibility import given_a_customer_with_two_cards_and_a_payment


def test_a_portal_key_sees_only_the_customer_it_signed_in_as(
        sandbox_site: Site, tabs: Callable[[Site], Tab], request: pytest.FixtureRequest) -> None:
    mine = given_a_customer_with_two_cards_and_a_payment(sandbox_site, request)
    other = given_a_customer_with_two_cards_and_a_payment(sandbox_site, request)
    tab = tabs(sandbox_site)
    tab.sign_in("portal", customer=mine)
    page = tab.open(f"/ui/portal?customer={other}")
    expect(page.locator("#customer-line")).to_have_text(
        f"Customer {mine} of {sandbox_site.company}.")
    expect(page.get_by_role("textbox", name="Customer id")).to_be_hidden()


@pytest.mark.parametrize(("path", "needed"), [
    ("/ui/office", "office or auditor"), ("/ui/audit", "auditor or office")])
def test_a_portal_key_is_told_which_keys_a_page_needs(
        sandbox_site: Site, tabs: Callable[[Site], Tab], path: str, needed: str) -> None:
    tab = tabs(sandbox_site)
    tab.sign_in("portal", customer="cu-roles")
    page = tab.open(path)
    expect(page.get_by_role("alert")).to_have_text(
        f"This page needs a {needed} key; yours is portal.")


def test_cards_past_their_expiry_month_are_flagged_expired(
        sandbox_site: Site, tabs: Callable[[Site], Tab], request: pytest.FixtureRequest) -> None:
    customer = given_a_customer_with_two_cards_and_a_payment(sandbox_site, request)
    tab = tabs(sandbox_site)
    tab.sign_in("office", user="jdoe")
    page = tab.open(f"/ui/office?customer={customer}")
    expect(page.locator("#cards tbody td:nth-child(3)")).to_have_text(["Primary", ""])
    # When the browser's clock is in January 2035, both cards (12/2034) have expired.
    page.clock.set_fixed_time(datetime(2035, 1, 1, 0, 0, 1, tzinfo=UTC))
    page.reload()
    expect(page.locator("#cards tbody td:nth-child(3)")).to_have_text(
        ["Primary, Expired", "Expired"])
    page.clock.set_fixed_time(datetime(2034, 12, 31, 23, 59, 59, tzinfo=UTC))
    page.reload()
    expect(page.locator("#cards tbody td:nth-child(3)")).to_have_text(["Primary", ""])

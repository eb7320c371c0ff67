"""How the /ui/ pages are served: on by default only on the embedded default,
a strict Content-Security-Policy, and nothing in them that could run or
render data as markup."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from cardledger.settings import Settings
from tests.api.conftest import base_settings, serving
from tests.browser.conftest import Site, Tab

UI = Path(__file__).parents[2] / "ui"


def test_the_pages_are_on_by_default_only_on_the_embedded_default() -> None:
    assert Settings(_env_file=None).ui_enabled
    assert not Settings(_env_file=None, store="postgres").ui_enabled
    assert Settings(_env_file=None, store="postgres", ui=True).ui_enabled
    assert not Settings(_env_file=None, ui=False).ui_enabled


def test_switched_off_the_pages_and_their_scripts_are_not_found(tmp_path: Path) -> None:
    with serving(base_settings(tmp_path, ui=False)) as live:
        for path in ("/ui/", "/ui/portal", "/ui/static/api.js"):
            answer = httpx.get(live.url + path)
            assert (answer.status_code, answer.json()["code"]) == (404, "not-found")


def test_the_policy_allows_only_the_sites_own_scripts_with_the_sandbox(sandbox_site: Site,
                                                                       ) -> None:
    answer = httpx.get(f"{sandbox_site.url}/ui/portal")
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "style-src 'self';" in policy
    assert "unsafe" not in policy
    assert "default-src 'none'" in policy
    assert "<script src=" not in answer.text.replace('<script type="module" src=', "")


@pytest.mark.stripe
@pytest.mark.postgres
def test_with_stripe_the_policy_adds_stripe_js_and_the_page_loads_it(
        stripe_site: Site, localstripe_url: str) -> None:
    answer = httpx.get(f"{stripe_site.url}/ui/portal")
    policy = answer.headers["Content-Security-Policy"]
    assert f"script-src 'self' {localstripe_url};" in policy
    assert f"connect-src 'self' {localstripe_url};" in policy
    assert "unsafe" not in policy
    assert f'<script src="{localstripe_url}/js.stripe.com/v3/"></script>' in answer.text


def test_no_template_has_inline_script_style_or_handlers() -> None:
    for template in (UI / "templates").glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", text), template.name


def test_no_script_writes_markup() -> None:
    """Values reach the page through textContent only (ui/static/api.js)."""
    for script in (UI / "static").glob("*.js"):
        text = script.read_text()
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", text), \
            script.name


def test_what_a_user_types_is_shown_as_text(sandbox_site: Site,
                                            tabs: Callable[[Site], Tab]) -> None:
    tab = tabs(sandbox_site)
    page = tab.sign_in("portal", customer='<img src=x id=injected>')
    expect(page.locator("#whoami")).to_contain_text("customer <img src=x id=injected>")
    page = tab.open("/ui/portal")
    expect(page.get_by_role("alert")).to_be_visible()  # the API refuses that customer id
    assert page.locator("#injected").count() == 0


def test_a_refusal_from_the_api_is_shown_as_the_problems_title_and_detail(
        sandbox_site: Site, tabs: Callable[[Site], Tab]) -> None:
    # Given online payments are still off for the company (nobody switched them on here).
    tab = tabs(sandbox_site)
    tab.sign_in("portal", customer="cu-refused")
    page = tab.open("/ui/portal")
    page.get_by_label("Test card").select_option("pm_card_visa")
    page.get_by_role("button", name="Add Payment Method").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Online payments are switched off for this company "
        "Online payments are off: no card can be added")
    expect(page.locator("#cards-empty")).to_be_visible()


def test_the_pages_idempotency_keys_hold_no_digits_the_guard_could_read_as_a_card(
        sandbox_site: Site, tabs: Callable[[Site], Tab]) -> None:
    page = tabs(sandbox_site).open("/ui/")
    keys = page.evaluate("""async () => {
        const api = await import('/ui/static/api.js');
        return Array.from({length: 2000}, () => api.newIdempotencyKey('add')); }""")
    assert all(re.fullmatch(r"ui-add-[a-z]{24}", key) for key in keys)
    assert len(set(keys)) == len(keys)

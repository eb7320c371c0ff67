"""Browser tests: Playwright (PyPI) driving Debian's Chromium against a real
cardledger server, the /ui/ pages calling its public API.

Two servers: the sandbox processor on SQLite (the embedded default, where the
pages are on by default) and the Stripe processor against localstripe on
PostgreSQL (pages switched on by the setting), so the story runs on both
processors and both stores. Chromium and axe-core are found, never
downloaded here: `./run test` installs them; without them these tests fail
with one line saying so, they never skip.
"""

from __future__ import annotations

import os
import secrets
import shutil
import string
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

from api.auth import ROLES, KeyRing
from cardledger.processors.stripe import StripeProcessor
from tests.api.conftest import Live, base_settings, serving
from tests.conftest import PG_HOST, PG_PORT, PG_USER, throwaway_database
from tests.stripe_server import localstripe_url, stripe_api, stripe_settings

__all__ = ["localstripe_url", "stripe_api"]

HERE = Path(__file__).parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
PUBLISHABLE_KEY = "pk_test_cardledger"


def chromium_path() -> str:
    path = os.environ.get("CARDLEDGER_TEST_CHROMIUM") or shutil.which("chromium")
    if not path or not Path(path).exists():
        pytest.fail("Chromium not found: run `./run test` (it installs Debian's chromium) or "
                    "set CARDLEDGER_TEST_CHROMIUM", pytrace=False)
    return path


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None],
                              ) -> Iterator[None]:
    """A browser test that skipped (whoever asked for it) is reported failed:
    CI must never pass without having driven the browser."""
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"browser tests must not skip: {report.longrepr}"
    return report


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    args = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium's sandbox refuses root
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": args}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "timezone_id": "UTC", "locale": "en-US",
            "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail("axe-core not found: run `./run test` (it runs npm ci in tests/browser)",
                    pytrace=False)
    return AXE.read_text()


@dataclass
class Site:
    """A running cardledger with the pages on, a fresh company and a key per role."""

    processor: str
    live: Live
    company: str
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.live.url


def site_for(processor: str, live: Live) -> Site:
    company = "co" + uuid.uuid4().hex[:10]
    # Letters only: random digits could read as a card number to the guard.
    keys = {role: role + "".join(secrets.choice(string.ascii_letters) for _ in range(32))
            for role in ROLES}
    live.app.state.keys = KeyRing.parse(",".join(f"{key}={company}:{role}"
                                                 for role, key in keys.items()))
    return Site(processor, live, company, keys)


@pytest.fixture(scope="module")
def sandbox_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The embedded default: SQLite, sandbox processor, pages on without a setting."""
    with serving(base_settings(tmp_path_factory.mktemp("ui-sandbox"))) as live:
        assert live.runtime.settings.ui is None
        yield site_for("sandbox", live)


@pytest.fixture(scope="module")
def stripe_site(localstripe_url: str, tmp_path_factory: pytest.TempPathFactory,
                ) -> Iterator[Site]:
    """Production-like: PostgreSQL, Stripe (localstripe), pages on by CARDLEDGER_UI."""
    with throwaway_database("cardledger_ui_") as database:
        settings = stripe_settings(
            localstripe_url, tmp_path_factory.mktemp("ui-stripe"), ui=True,
            store="postgres", postgres_host=PG_HOST, postgres_port=PG_PORT,
            postgres_user=PG_USER, postgres_dbname=database, api_rate_limit_per_second=0.0,
            stripe_publishable_key=PUBLISHABLE_KEY,
            stripe_js_url=f"{localstripe_url}/js.stripe.com/v3/")
        with serving(settings, processor=StripeProcessor.from_settings(settings)) as live:
            yield site_for("stripe", live)


@pytest.fixture(params=["sandbox", pytest.param("stripe", marks=[pytest.mark.stripe,
                                                                  pytest.mark.postgres])])
def site(request: pytest.FixtureRequest) -> Site:
    site: Site = request.getfixturevalue(f"{request.param}_site")
    return site


class Tab:
    """One browser tab with its own sessionStorage (a context of its own), which
    records every Content-Security-Policy violation and uncaught script error."""

    def __init__(self, context: BrowserContext, site: Site) -> None:
        self.context = context
        self.site = site
        self.page: Page = context.new_page()
        self.errors: list[str] = []
        self.sent: list[tuple[str, str]] = []  # (url, headers and body) of every request
        self.page.on("console", self._console)
        self.page.on("request", lambda r: self.sent.append(
            (r.url, f"{r.url} {r.headers} {r.post_data or ''}")))
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.errors.append(message.text)

    def sent_to(self, origin: str) -> list[str]:
        return [everything for url, everything in self.sent if url.startswith(origin + "/")]

    def open(self, path: str) -> Page:
        self.page.goto(self.site.url + path)
        return self.page

    def sign_in(self, role: str, *, customer: str | None = None, user: str | None = None) -> Page:
        page = self.open("/ui/")
        page.get_by_label("API key", exact=True).fill(self.site.keys[role])
        if customer:
            page.get_by_role("textbox", name="Customer id").fill(customer)
        if user:
            page.get_by_role("textbox", name="User id").fill(user)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Signed in").wait_for()
        return page


@pytest.fixture
def tabs(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[Callable[[Site], Tab]]:
    """Opens tabs; fails the test if any page broke its CSP or threw."""
    opened: list[Tab] = []

    def open_tab(site: Site) -> Tab:
        tab = Tab(browser.new_context(**browser_context_args), site)
        opened.append(tab)
        return tab

    yield open_tab
    errors = [error for tab in opened for error in tab.errors]
    for tab in opened:
        tab.context.close()
    assert not errors, f"the pages broke their CSP or threw: {errors}"

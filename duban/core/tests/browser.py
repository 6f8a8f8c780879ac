"""What the browser tests share: Debian's headless Chromium through Playwright, signing in, the demo's people.

Each test drives one walk through the product on ``live_server`` and asserts the console stayed free of errors;
screenshots land in ``SCREENSHOTS`` for a human to look at."""

from __future__ import annotations

import contextlib
from pathlib import Path

from duban.conftest import REPO_DIR, require_tool

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = REPO_DIR / "test-results"


@contextlib.contextmanager
def chromium_browser(monkeypatch):
    """Headless Chromium for a walk through several people (a ``signed_in_page`` each), with the list their pages'
    console errors are collected in: ``with chromium_browser(monkeypatch) as (browser, errors)``. Screenshots go to
    ``SCREENSHOTS``. The browser closes on leaving. Skips without Chromium on a laptop; under CI a missing Chromium
    fails."""
    require_tool(CHROMIUM.exists(), "chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of a test are plain synchronous reads.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser, errors
        finally:
            browser.close()


@contextlib.contextmanager
def chromium_page(monkeypatch, *, width: int = 1366, height: int = 900):
    """A page of headless Chromium (``chromium_browser``), in Chinese, ``width`` × ``height``, with the list its
    console's errors are collected in: ``with chromium_page(monkeypatch) as (page, errors)``."""
    with chromium_browser(monkeypatch) as (browser, errors):
        page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
        page.set_default_timeout(15000)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        yield page, errors


def sign_in(page, base: str, username: str, password: str) -> None:
    """Sign in on the login page; waiting for the page that follows is the caller's."""
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")


DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}


def signed_in_page(browser, base: str, username: str, errors: list[str], **context):
    """A page in a fresh browser context (its own cookies, ``DESKTOP`` unless ``context`` says otherwise) signed in
    as ``username`` with the tests' ``PASSWORD``, its console's errors collected in ``errors``. The contexts of
    earlier sign-ins are closed first, so a walk through several people never keeps a browser of them all open."""
    from duban.conftest import PASSWORD

    for earlier in browser.contexts:
        earlier.close()
    page = browser.new_context(**{**DESKTOP, **context}).new_page()
    page.set_default_timeout(15000)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, base, username, PASSWORD)
    page.wait_for_url(f"{base}/")
    return page


def demo_people(*, forced: tuple[str, ...] = ()) -> None:
    """The demo's areas, units and people (password ``duban.demo.loader.DEMO_PASSWORD``); all but the ``forced``
    usernames have already changed theirs, so only those meet the forced password change."""
    from duban.core.audit import system_actor
    from duban.core.models import Profile
    from duban.demo.loader import ensure_areas, ensure_units_and_users

    ensure_areas()
    ensure_units_and_users(system_actor())
    Profile.objects.exclude(user__username__in=forced).update(must_change_password=False)

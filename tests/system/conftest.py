"""The browser fixture of the system tests: Debian's Chromium driven by Playwright against the live server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ARTIFACTS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def page(live_server, monkeypatch):
    playwright_sync = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), "Debian's chromium is required: apt-get install chromium"
    ARTIFACTS.mkdir(exist_ok=True)
    # Playwright's sync API runs an event loop in this thread; the live server's database work is in its own thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # Chromium reports every Content-Security-Policy violation on the console.
        page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
        yield page
        browser.close()
    assert not errors, errors

"""Browser-test fixtures: the session app served on a free local port, headless Chromium.

The browser is Debian's Chromium (/usr/bin/chromium); Playwright never downloads one. The
per-test ``clean_db`` fixture of tests/conftest.py still runs, so each test creates its own
accounts and records.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Nothing but the live server resolves, as in an office without internet.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
#: Bound for every single action and expectation (milliseconds).
ACTION_TIMEOUT_MS = 10_000
#: Bound for a whole page load.
NAVIGATION_TIMEOUT_MS = 15_000

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The session app served by werkzeug in a daemon thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM} (make system-deps installs it)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, live_server: str, _travel) -> Iterator[BrowserContext]:
    """A fresh context per test: no cookies (session, language) carry over. When the test
    runs at a moved instant (tests/conftest.py), the browser's clock is moved with it."""
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    if _travel is not None:
        context.clock.set_system_time(_travel)  # the test's instant (tests/conftest.py)
    # Offices may be offline: the pages must ask for nothing outside the panel.
    outside: list[str] = []
    context.on(
        "request",
        lambda request: (
            None if _is_local(request.url, live_server) else outside.append(request.url)
        ),
    )
    yield context
    context.close()
    assert not outside, f"pages asked for resources outside the panel: {outside}"


def _is_local(url: str, base_url: str) -> bool:
    return url.startswith((base_url + "/", "data:", "blob:", "about:"))


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """docs/screenshots when UPDATE_SCREENSHOTS=1 (to refresh the README's pictures),
    otherwise a temporary folder, so a test run leaves the work tree clean."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")

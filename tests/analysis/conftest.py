"""A real headless Chromium (Debian's `chromium`, which `make test` installs) driven through
playwright, started once per test module with a fresh profile and its background connections off.

Once per module, not per session: while playwright's sync API is running it holds an asyncio
loop on the main thread, and the later tests that call `asyncio.run` (judges, KFP) would fail."""

from __future__ import annotations

import shutil

import pytest

# Its background services (updates, sync, safe browsing) reach out to hosts that are refused
# here; a page test needs none of them.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium not found: `make test` installs it (apt-get install -y chromium)")
    # playwright launches with a new temporary profile (--user-data-dir) every time.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A new tab that fails the test on any script error the page raises."""
    tab = browser.new_page(viewport={"width": 1300, "height": 1000})
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    tab.close()
    assert errors == [], f"the page raised: {errors}"

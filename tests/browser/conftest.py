"""Headless Chromium (Debian's `chromium`, installed by scripts/setup) driven by Playwright.

Each test gets a fresh browser context; screenshots go to `WASMHOST_TEST_OUTPUT` (default
`.cache/test-output`) under `screenshots/`, kept after the run.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",  # the tests may run as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # no calls to the closed network at start
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("WASMHOST_TEST_OUTPUT", ROOT / ".cache" / "test-output"))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium per test module (skipped, saying why, where it is missing).

    Not one per session: Playwright's sync API keeps an asyncio loop running in this thread
    while it is open, which later tests that run their own loop could not start.
    """
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (scripts/setup installs it as root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """A page in a fresh context (no cookies), with a screenshot of the end kept."""
    context = browser.new_context()  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    screenshot(tab, f"{request.node.name}-end")
    context.close()


def screenshot(tab: object, name: str) -> Path:
    """Save a full-page screenshot under the test output folder; return its path."""
    folder = SCREENSHOTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path

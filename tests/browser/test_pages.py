"""In a real browser: the demo page with its CSS and API answer; the control page's login,
project view and rollback, and the site changing with it."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.conftest import ROOT, TOKEN, Started, start_host, stop_host

HELLO_PUBLIC = ROOT / "guests" / "examples" / "hello-py" / "public"


@pytest.fixture
def host(tmp_path: Path, compiled_cache: Path) -> Iterator[Started]:
    """A `wasmhost serve` with the token, on a fresh database."""
    started = start_host(tmp_path, compiled_cache, "--workers", "1")
    yield started
    stop_host(started)


def site(folder: Path, version: str) -> Path:
    """The hello-py files with /version.txt naming `version`."""
    copy = folder / version
    copy.mkdir()
    for path in HELLO_PUBLIC.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    (copy / "version.txt").write_text(version)
    return copy


def test_the_demo_page_renders_with_its_css_and_the_api_answer(
    host: Started, hello_py: Path, page: Any, tmp_path: Path
) -> None:
    host.deploy("demo", hello_py, HELLO_PUBLIC)
    page.goto(f"http://demo.localhost:{host.port}/")
    status = page.locator("#status")
    status.filter(has_text="200").wait_for()
    assert '"hello": "world"' in page.inner_text("#answer")
    assert "pill-ok" in (status.get_attribute("class") or "")
    styled = page.evaluate("getComputedStyle(document.querySelector('.bar')).display")
    assert styled == "flex"  # style.css applied
    screenshot(page, "demo-page")


def test_the_control_page_logs_in_shows_a_project_and_rolls_it_back(
    host: Started, hello_py: Path, page: Any, tmp_path: Path
) -> None:
    host.deploy("site", hello_py, site(tmp_path, "one"))
    host.deploy("site", hello_py, site(tmp_path, "two"))
    page.goto(f"http://site.localhost:{host.port}/version.txt")
    assert page.inner_text("body") == "two"
    page.goto(f"http://127.0.0.1:{host.port}/")
    assert page.url.endswith("/login")
    screenshot(page, "control-login")
    page.fill("#token", "wrong")
    page.click('button:has-text("Log in")')
    page.locator(".error", has_text="Wrong token").wait_for()
    page.fill("#token", TOKEN)
    page.click('button:has-text("Log in")')
    page.locator("a", has_text="site").click()
    assert page.inner_text("#active-version") == "v2"
    screenshot(page, "control-project")
    page.on("dialog", lambda dialog: dialog.accept())  # the rollback's confirmation
    page.click('button:has-text("Roll back to v1")')
    page.locator(".notice", has_text="Rolled back to v1.").wait_for()
    assert page.inner_text("#active-version") == "v1"
    cookie = next(c for c in page.context.cookies() if c["name"] == "wasmhost_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # no script can read the session
    page.goto(f"http://site.localhost:{host.port}/version.txt")
    assert page.inner_text("body") == "one"
    page.goto(f"http://127.0.0.1:{host.port}/projects/site")
    assert "GET /version.txt" in page.inner_text("body")  # recent requests

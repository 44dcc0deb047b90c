"""On loopback with no token configured the console opens directly, as the API does; an
origin's console offers the way to an edge's own console."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.procs import Proc, create_endpoint

pytestmark = pytest.mark.slow


def test_no_token_on_loopback_opens_directly(
    chromium_browser: Browser, origin: Proc, tmp_path: Path
) -> None:
    create_endpoint(origin.url, "open-cam", title="Open & shut")
    page = chromium_browser.new_page()
    try:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{origin.url}/sender/console", wait_until="domcontentloaded")
        row = page.wait_for_selector('tr[data-slug="open-cam"]')
        assert row is not None
        assert page.locator("form.signin").count() == 0
        assert page.inner_text('tr[data-slug="open-cam"] td.title') == "Open & shut"
        assert page.inner_text('tr[data-slug="open-cam"] [data-field="state"]') == "waiting"
        page.click("nav a[href='#/edges']")
        page.fill('input[name="edge"]', "http://127.0.0.1:8081")
        link = page.wait_for_selector("main a[target=_blank]")
        assert link is not None
        assert link.get_attribute("href") == "http://127.0.0.1:8081/sender/console#/edges"
        page.fill('input[name="edge"]', "javascript:alert(1)")
        assert page.locator("main a[target=_blank]").count() == 0
        page.screenshot(path=str(tmp_path / "open-console.png"))
        assert errors == []
    finally:
        page.close()

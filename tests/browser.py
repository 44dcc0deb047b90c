"""Debian's chromium through playwright's sync API, for the player and console tests and benches."""

from __future__ import annotations

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "chromium", "launch_chromium"]

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.tools import require_tool

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch_chromium(pw: Playwright, *extra_args: str) -> Browser:
    """A headless chromium from /usr/bin (the one the suite and the benches use)."""
    return pw.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *extra_args])


@contextmanager
def chromium(*extra_args: str) -> Iterator[Browser]:
    """A running chromium for a test, closed afterwards; skips when chromium is not installed."""
    require_tool(CHROMIUM, "apt-get install chromium")
    with sync_playwright() as pw:
        browser = launch_chromium(pw, *extra_args)
        try:
            yield browser
        finally:
            browser.close()

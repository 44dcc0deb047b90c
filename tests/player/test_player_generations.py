"""The player follows an endpoint across generations: the publisher goes away (offline
overlay), publishes again, and the player starts a fresh hls.js engine on generation 2."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import procs
from tests.player.test_player_browser import CHROMIUM, CHROMIUM_ARGS
from tests.waiting import wait_for

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

pytestmark = pytest.mark.slow

SLUG = "gens"


def current_time(page: Any) -> float:
    return float(page.evaluate("window.senderPlayer?.video.currentTime ?? 0"))


def advancing(page: Any, seconds: float, what: str) -> None:
    start = wait_for(lambda: current_time(page) > 0 and current_time(page), 20, what)
    wait_for(lambda: current_time(page) >= start + seconds, 20, f"{what} advancing")


@pytest.fixture
def origin(tmp_path: Path) -> Iterator[procs.Proc]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    proc = procs.start_origin(tmp_path / "origin")
    try:
        yield proc
    finally:
        proc.stop()


def test_player_recovers_across_generations(origin: procs.Proc) -> None:
    key = procs.create_endpoint(origin.url, SLUG)
    pub = procs.publish(procs.rtmp_url(origin, key))
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto(f"{origin.url}/sender/player/{SLUG}", wait_until="domcontentloaded")
                page.wait_for_function("window.senderPlayer?.generation === 1", timeout=30_000)
                advancing(page, 2, "generation 1 playback")
                page.evaluate("window.firstEngine = window.senderPlayer.hls")

                # Stopping the stream ends generation 1 (a quick reconnect would continue it).
                procs.stop_publisher(pub)
                stream = f"{origin.url}/api/v1/streams/{SLUG}"
                httpx.post(f"{stream}/stop", timeout=10).raise_for_status()
                page.wait_for_function(
                    "window.senderPlayer.state !== 'live'"
                    " && !document.querySelector('.sender-overlay').hidden",
                    timeout=30_000,
                )
                assert "Offline" in page.locator(".sender-overlay").inner_text()
                assert page.locator(".sender-live").is_hidden()

                httpx.post(f"{stream}/start", timeout=10).raise_for_status()
                pub = procs.publish(procs.rtmp_url(origin, key))
                page.wait_for_function(
                    "window.senderPlayer.generation === 2 && window.senderPlayer.state === 'live'",
                    timeout=40_000,
                )
                assert page.evaluate("window.senderPlayer.hls !== window.firstEngine")
                advancing(page, 2, "generation 2 playback")
                assert page.evaluate("window.senderPlayer.error") is None
                assert page.locator(".sender-overlay").is_hidden()
                assert page.evaluate("window.senderPlayer.lowLatency") is True
                assert errors == []
            finally:
                browser.close()
    finally:
        procs.stop_publisher(pub)

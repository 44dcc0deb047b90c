"""The player follows an endpoint across generations: the publisher goes away (offline
overlay), publishes again, and the player starts a fresh hls.js engine on generation 2."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser

from tests import procs
from tests.player.playing import playback_advances

pytestmark = pytest.mark.slow

SLUG = "gens"


def test_player_recovers_across_generations(chromium_browser: Browser, origin: procs.Proc) -> None:
    key = procs.create_endpoint(origin.url, SLUG)
    pub = procs.publish(procs.rtmp_url(origin, key))
    try:
        page = chromium_browser.new_page()
        try:
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(
                f"{origin.url}/sender/player/{SLUG}?transport=hls", wait_until="domcontentloaded"
            )
            page.wait_for_function("window.senderPlayer?.generation === 1", timeout=30_000)
            playback_advances(page, 2, "generation 1 playback")
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
            playback_advances(page, 2, "generation 2 playback")
            assert page.evaluate("window.senderPlayer.error") is None
            assert page.locator(".sender-overlay").is_hidden()
            assert page.evaluate("window.senderPlayer.lowLatency") is True
            assert errors == []
        finally:
            page.close()
    finally:
        procs.stop_publisher(pub)

"""The web player in Debian's chromium plays a stream that arrived over SRT."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.origin.ingest.srt_caller import free_udp_port
from tests.player.playing import playback_advances
from tests.procs import create_endpoint, publish, start_origin, stop_publisher

pytestmark = pytest.mark.slow


def test_player_plays_an_srt_publish(chromium_browser: Browser, tmp_path: Path) -> None:
    port = free_udp_port()
    origin = start_origin(tmp_path / "o", settings={"srt_port": port})
    key = create_endpoint(origin.url, "srtplay")
    pub = publish(f"srt://127.0.0.1:{port}?streamid=publish:live/{key}&latency=200000")
    try:
        page = chromium_browser.new_page(viewport={"width": 640, "height": 400})
        try:
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(
                f"{origin.url}/sender/player/srtplay?transport=hls", wait_until="domcontentloaded"
            )
            page.wait_for_function(
                "window.senderPlayer && window.senderPlayer.state === 'live'", timeout=30_000
            )
            playback_advances(page, 3, "playback", start_timeout=30)
            assert page.evaluate("window.senderPlayer.error") is None
            assert errors == []
        finally:
            page.close()
    finally:
        stop_publisher(pub)
        origin.stop()

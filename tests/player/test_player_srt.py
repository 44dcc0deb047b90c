"""The web player in Debian's chromium plays a stream that arrived over SRT."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.origin.srt_caller import free_udp_port
from tests.player.test_player_browser import CHROMIUM, CHROMIUM_ARGS, current_time
from tests.procs import create_endpoint, publish, start_origin, stop_publisher
from tests.waiting import wait_for

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

pytestmark = pytest.mark.slow


def test_player_plays_an_srt_publish(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    port = free_udp_port()
    origin = start_origin(tmp_path / "o", env={"SENDER_SRT_PORT": str(port)})
    key = create_endpoint(origin.url, "srtplay")
    pub = publish(f"srt://127.0.0.1:{port}?streamid=publish:live/{key}&latency=200000")
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 640, "height": 400})
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto(f"{origin.url}/sender/player/srtplay", wait_until="domcontentloaded")
                page.wait_for_function(
                    "window.senderPlayer && window.senderPlayer.state === 'live'", timeout=30_000
                )
                start = wait_for(lambda: current_time(page) > 0 and current_time(page), 30, "play")
                wait_for(lambda: current_time(page) >= start + 3, 20, "playback advancing")
                assert page.evaluate("window.senderPlayer.error") is None
                assert errors == []
            finally:
                browser.close()
    finally:
        stop_publisher(pub)
        origin.stop()

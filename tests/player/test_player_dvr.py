"""DVR in the player (chromium + hls.js): an endpoint with a DVR window offers rewinding, a
rewind of 60 s plays the DVR playlist 60 s behind its end, and "Go live" returns to the
low-latency live playlist near the live edge; an endpoint without DVR offers no rewind."""

from __future__ import annotations

import subprocess
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser

from sender_common.ffmpeg import resolve_ffmpeg
from tests import procs
from tests.player.test_player_browser import ARTIFACTS
from tests.waiting import wait_for

pytestmark = pytest.mark.slow

SLUG = "rewind"
BURST_SECONDS = 90  # media published faster than real time before the publisher paces itself
REWIND = 60.0


def burst_publisher(url: str) -> subprocess.Popen[bytes]:
    """A test pattern whose first BURST_SECONDS go out as fast as they encode, then in real
    time (the realtime filters' speed drops from 1000 to 1 at that media time)."""
    video = (
        f"testsrc2=size=320x180:rate=15,sendcmd=c='{BURST_SECONDS} realtime@v speed 1',"
        "realtime@v=speed=1000"
    )
    audio = (
        f"sine=frequency=440:sample_rate=44100,asendcmd=c='{BURST_SECONDS} arealtime@a speed 1',"
        "arealtime@a=speed=1000"
    )
    argv = [resolve_ffmpeg(), "-hide_banner", "-nostats", "-loglevel", "error"]
    argv += ["-f", "lavfi", "-i", video, "-f", "lavfi", "-i", audio]
    argv += ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency"]
    argv += ["-pix_fmt", "yuv420p", "-g", "15", "-keyint_min", "15", "-b:v", "300k"]
    argv += ["-c:a", "aac", "-b:a", "64k", "-f", "flv", url]
    return procs.start_publisher(argv)


def dvr_seconds(origin: str) -> float:
    """Media seconds in the DVR playlist (0 while it is not there yet)."""
    r = httpx.get(f"{origin}/sender/hls/{SLUG}/dvr.m3u8", timeout=5)
    if r.status_code != 200:
        return 0.0
    return sum(
        float(line.split(":", 1)[1].split(",", 1)[0])
        for line in r.text.splitlines()
        if line.startswith("#EXTINF:")
    )


def js_number(page: Any, expr: str) -> float:
    return float(page.evaluate(expr))


def test_rewind_60_seconds_then_go_live(chromium_browser: Browser, origin: procs.Proc) -> None:
    key = procs.create_endpoint(origin.url, SLUG, dvr_window_seconds=600)
    pub = burst_publisher(procs.rtmp_url(origin, key))
    try:
        wait_for(lambda: dvr_seconds(origin.url) >= 75, 40, "75 s of media in the DVR")
        meta = httpx.get(f"{origin.url}/api/v1/playback/{SLUG}", timeout=5).json()
        assert meta["dvr_url"] == f"/sender/hls/{SLUG}/dvr.m3u8"
        assert meta["dvr_window_seconds"] == 600

        page = chromium_browser.new_page()
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda req: requests.append(req.url))
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{origin.url}/sender/player/{SLUG}?transport=hls", wait_until="domcontentloaded")
        page.wait_for_function(
            "window.senderPlayer?.state === 'live' && window.senderPlayer.video.currentTime > 0",
            timeout=20_000,
        )
        assert page.evaluate("window.senderPlayer.mode") == "live"
        assert page.evaluate("window.senderPlayer.lowLatency") is True
        page.wait_for_selector(".sender-dvr:not([hidden]) .sender-rewind", timeout=5_000)

        # Rewind with the button: the DVR playlist, 60 s before the end of the window.
        page.click(".sender-rewind[data-seconds='60']")
        page.wait_for_function(
            "window.senderPlayer.mode === 'dvr' && window.senderPlayer.video.seekable.length > 0"
            " && window.senderPlayer.video.readyState >= 2",
            timeout=20_000,
        )
        assert page.evaluate("window.senderPlayer.lowLatency") is False
        end = "window.senderPlayer.video.seekable.end(window.senderPlayer.video.seekable.length-1)"
        behind = js_number(page, f"{end} - window.senderPlayer.video.currentTime")
        assert REWIND - 5 <= behind <= REWIND + 5, behind
        start = js_number(page, "window.senderPlayer.video.currentTime")
        wait_for(
            lambda: js_number(page, "window.senderPlayer.video.currentTime") >= start + 3,
            20,
            "DVR playback advancing",
        )
        behind = js_number(page, f"{end} - window.senderPlayer.video.currentTime")
        assert REWIND - 8 <= behind <= REWIND + 8, behind  # still playing behind live
        assert page.locator(".sender-golive").is_visible()
        assert page.locator(".sender-live").get_attribute("data-mode") == "dvr"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "player-dvr.png"))
        assert any(urlsplit(u).path.endswith(f"/{SLUG}/dvr.m3u8") for u in requests)

        # Go live: the low-latency live playlist, near the live edge.
        page.evaluate("window.senderPlayer.goLive()")
        page.wait_for_function(
            "window.senderPlayer.mode === 'live' && window.senderPlayer.lowLatency"
            " && window.senderPlayer.latency > 0",
            timeout=20_000,
        )
        wait_for(
            lambda: 0 < js_number(page, "window.senderPlayer.latency") < 5, 20, "latency < 5 s"
        )
        assert page.locator(".sender-golive").is_hidden()

        vsid = page.evaluate("window.senderPlayer.vsid")
        playlists = [u for u in requests if urlsplit(u).path.endswith(".m3u8")]
        for url in playlists:
            assert parse_qs(urlsplit(url).query).get("vsid") == [vsid], url
        assert page.evaluate("window.senderPlayer.error") is None
        assert errors == []
        page.close()
    finally:
        procs.stop_publisher(pub)


def test_no_rewind_without_dvr(chromium_browser: Browser, origin: procs.Proc) -> None:
    slug = "nodvr"
    key = procs.create_endpoint(origin.url, slug, dvr_window_seconds=0)
    pub = procs.publish(procs.rtmp_url(origin, key))
    try:
        meta_url = f"{origin.url}/api/v1/playback/{slug}"
        wait_for(lambda: httpx.get(meta_url, timeout=5).json()["state"] == "live", 20, "live")
        meta = httpx.get(meta_url, timeout=5).json()
        assert meta["dvr_url"] is None
        assert meta["dvr_window_seconds"] is None
        page = chromium_browser.new_page()
        page.goto(f"{origin.url}/sender/player/{slug}?transport=hls", wait_until="domcontentloaded")
        page.wait_for_function(
            "window.senderPlayer?.state === 'live' && window.senderPlayer.video.currentTime > 0",
            timeout=20_000,
        )
        page.wait_for_selector(".sender-live:not([hidden])", timeout=5_000)
        assert page.locator(".sender-dvr").is_hidden()
        assert page.evaluate("window.senderPlayer.rewind(60)") is False
        assert page.evaluate("window.senderPlayer.mode") == "live"
        page.close()
    finally:
        procs.stop_publisher(pub)

"""The player's controls in chromium, each doing what it says: play/pause, mute and volume,
fullscreen, the quality menu of a ladder, the seek bar over the DVR window with "Go live",
and the keyboard shortcuts."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests import procs
from tests.origin.ladder import LADDER
from tests.player.test_player_dvr import burst_publisher
from tests.waiting import wait_for

pytestmark = pytest.mark.slow

SLUG = "knobs"
P = "window.senderPlayer"


def value(page: Page, expr: str) -> object:
    return page.evaluate(expr)


def num(page: Page, expr: str) -> float:
    return float(page.evaluate(expr))


def dvr_media_seconds(origin: str) -> float:
    """Media seconds in the source rendition's DVR playlist."""
    r = httpx.get(f"{origin}/sender/hls/{SLUG}/dvr.m3u8", timeout=5)
    if r.status_code != 200:
        return 0.0
    text = r.text
    if "#EXT-X-STREAM-INF" in text:  # a ladder: the first variant
        uri = next(ln for ln in text.splitlines() if ln and not ln.startswith("#"))
        text = httpx.get(f"{origin}/sender/hls/{SLUG}/{uri}", timeout=5).text
    return sum(
        float(ln.split(":", 1)[1].split(",", 1)[0])
        for ln in text.splitlines()
        if ln.startswith("#EXTINF:")
    )


def behind(page: Page) -> float:
    return num(page, f"{P}.dvrWindow()?.behind ?? -1")


def test_each_control_does_what_it_says(chromium_browser: Browser, origin: procs.Proc) -> None:
    key = procs.create_endpoint(origin.url, SLUG, renditions=LADDER, dvr_window_seconds=600)
    pub = burst_publisher(procs.rtmp_url(origin, key))
    try:
        wait_for(lambda: dvr_media_seconds(origin.url) >= 50, 60, "50 s in the DVR window")
        page = chromium_browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{origin.url}/sender/player/{SLUG}?transport=hls", wait_until="domcontentloaded")
        # playing, not just positioned at the live edge (autoplay's play() may still be pending,
        # and then the first click on the button would be a "Play")
        page.wait_for_function(
            f"{P}?.state === 'live' && !{P}.video.paused && {P}.video.currentTime > 0"
            " && document.querySelector('.sender-play').getAttribute('aria-label') === 'Pause'",
            timeout=20_000,
        )

        # play/pause, by button and by the k and space keys
        page.click(".sender-play")
        page.wait_for_function(f"{P}.video.paused", timeout=5_000)
        # the label follows the media element's "pause" event, dispatched after paused is set
        page.wait_for_function(
            "document.querySelector('.sender-play').getAttribute('aria-label') === 'Play'",
            timeout=5_000,
        )
        page.click(".sender-play")
        page.wait_for_function(f"!{P}.video.paused")
        page.evaluate("document.activeElement.blur()")
        page.keyboard.press("k")
        page.wait_for_function(f"{P}.video.paused", timeout=5_000)
        page.keyboard.press(" ")
        page.wait_for_function(f"!{P}.video.paused")

        # mute and volume: button, slider, m and the arrows
        assert value(page, f"{P}.video.muted") is True  # autoplay starts muted
        page.click(".sender-mute")
        assert value(page, f"{P}.video.muted") is False
        page.locator(".sender-volume").fill("0.3")
        assert abs(num(page, f"{P}.video.volume") - 0.3) < 0.01
        page.evaluate("document.activeElement.blur()")
        page.keyboard.press("ArrowUp")
        assert abs(num(page, f"{P}.video.volume") - 0.4) < 0.01
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        assert abs(num(page, f"{P}.video.volume") - 0.2) < 0.01
        page.keyboard.press("m")
        assert value(page, f"{P}.video.muted") is True

        # fullscreen, by button and by f
        page.click(".sender-fullscreen")
        page.wait_for_function("document.fullscreenElement?.id === 'sender-player'")
        page.evaluate("document.activeElement.blur()")
        page.keyboard.press("f")
        page.wait_for_function("document.fullscreenElement === null")

        # the quality menu: Auto and one entry per rendition, switching hls.js's level
        page.wait_for_selector(".sender-quality:not([hidden])", timeout=10_000)
        labels = page.locator(".sender-quality option").all_text_contents()
        assert labels[0] == "Auto" and len(labels) == 3 and "90p" in labels
        low = str(labels.index("90p") - 1)
        page.select_option(".sender-quality", low)
        # the engine may be replaced meanwhile (a recovery starts on automatic, and the
        # player applies the choice to it at its next update): wait for the choice to hold
        page.wait_for_function(f"{P}.hls.autoLevelEnabled === false", timeout=10_000)
        page.wait_for_function(f"{P}.hls.currentLevel === {int(low)}", timeout=20_000)
        page.wait_for_function(f"{P}.video.videoHeight === 90", timeout=20_000)
        page.select_option(".sender-quality", "-1")
        page.wait_for_function(f"{P}.hls.autoLevelEnabled === true", timeout=10_000)

        # the seek bar over the DVR window, the arrows inside it, and Go live
        assert page.locator(".sender-seek").is_visible()
        assert num(page, "Number(document.querySelector('.sender-seek').min)") <= -50
        page.locator(".sender-seek").fill("-30")
        page.wait_for_function(
            f"{P}.mode === 'dvr' && {P}.video.readyState >= 2 && {P}.dvrWindow()?.behind > 0",
            timeout=20_000,
        )
        wait_for(lambda: 25 <= behind(page) <= 36, 10, "30 s behind live")
        page.evaluate("document.activeElement.blur()")
        before = behind(page)
        page.keyboard.press("ArrowLeft")
        wait_for(lambda: behind(page) >= before + 8, 10, "10 s further back")
        page.click(".sender-golive")
        page.wait_for_function(f"{P}.mode === 'live' && {P}.latency > 0", timeout=20_000)
        wait_for(lambda: 0 < num(page, f"{P}.latency") < 5, 45, "near the live edge again")
        page.wait_for_function(
            "document.querySelector('.sender-live').dataset.mode === 'live'", timeout=5_000
        )
        assert errors == []
        page.close()
    finally:
        procs.stop_publisher(pub)

"""The web player (Video.js 10 + hls.js) in Debian's chromium against `sender up --demo`: it
plays in hls.js low-latency mode, shows a LIVE badge with the latency behind live, tags every
playlist request with its vsid, sends heartbeats, is counted as one viewer, and shows the
offline overlay for an endpoint that is not live."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser

from tests import scrape
from tests.cli.stack import SenderUp, live_segments, start_sender_up
from tests.player.playing import current_time, playback_advances
from tests.procs import create_endpoint
from tests.waiting import wait_for

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
EVENTS_PATH = "/sender/api/v1/events"
ORIGIN_GAUGE = "sender_origin_active_viewers"
METRICS_GAUGE = "sender_viewers_active"
ADVANCE_SECONDS = 4.0
LIVE_STATE = "window.senderPlayer && window.senderPlayer.state === 'live'"
BADGE_LATENCY = re.compile(r"LIVE\s*·\s*(\d+(?:\.\d+)?) s behind live")


@dataclass
class Session:
    up: SenderUp
    page: Any
    browser: Any
    requests: list[Any] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    advanced: float = 0.0


def badge_text(page: Any) -> str:
    return str(
        page.evaluate("document.querySelector('.sender-live:not([hidden])')?.textContent ?? ''")
    )


@pytest.fixture(scope="module")
def session(
    chromium_browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Session]:
    up = start_sender_up(tmp_path_factory.mktemp("player"))
    try:
        wait_for(lambda: len(live_segments(up.origin)) >= 2, 30, "origin segments")
        page = chromium_browser.new_page(viewport={"width": 960, "height": 600})
        s = Session(up, page, chromium_browser)
        page.on("request", lambda req: s.requests.append(req))
        page.on("pageerror", lambda exc: s.page_errors.append(str(exc)))
        page.goto(f"{up.origin}/sender/player/demo?transport=hls", wait_until="domcontentloaded")
        yield s
        page.close()
    finally:
        up.interrupt()
        up.kill()


@pytest.fixture(scope="module")
def played(session: Session) -> Session:
    """Playback has advanced by several seconds (the other tests look at what happened)."""
    page = session.page
    page.wait_for_function(LIVE_STATE, timeout=20_000)
    start = playback_advances(page, ADVANCE_SECONDS, "playback")
    session.advanced = current_time(page) - start
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "player.png"))
    return session


def test_playback_advances_without_error(played: Session) -> None:
    assert played.advanced >= ADVANCE_SECONDS
    error = played.page.evaluate("window.senderPlayer.error")
    assert error is None, error
    assert played.page_errors == []
    assert played.page.evaluate("window.senderPlayer.generation") == 1
    # The Video.js 10 player element drives an hls.js engine on the light-DOM <video>.
    assert played.page.evaluate("window.senderPlayer.hls !== null")
    assert played.page.evaluate("document.querySelector('video-player live-video-skin hls-video')")


def test_hls_js_runs_in_low_latency_mode(played: Session) -> None:
    page = played.page
    assert page.evaluate("window.senderPlayer.lowLatency") is True
    assert page.evaluate("window.senderPlayer.hls.config.lowLatencyMode") is True


def test_live_badge_shows_the_latency(played: Session) -> None:
    page = played.page
    match = wait_for(lambda: BADGE_LATENCY.search(badge_text(page)), 10, "LIVE badge latency")
    shown = float(match.group(1))
    latency = float(page.evaluate("window.senderPlayer.latency"))
    # A live stream with 1 s segments plays a few seconds behind the edge, never ahead of it.
    assert 0 < shown < 30, badge_text(page)
    assert 0 < latency < 30, latency


def test_every_playlist_request_carries_the_vsid(played: Session) -> None:
    vsid = played.page.evaluate("window.senderPlayer.vsid")
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", vsid)
    playlists = [r.url for r in played.requests if urlsplit(r.url).path.endswith(".m3u8")]
    assert len(playlists) >= 2, playlists  # live.m3u8 and at least one reload
    for url in playlists:
        assert parse_qs(urlsplit(url).query).get("vsid") == [vsid], url


def test_heartbeats_are_posted(played: Session) -> None:
    events = [
        r for r in played.requests if r.method == "POST" and urlsplit(r.url).path == EVENTS_PATH
    ]
    bodies = [json.loads(r.post_data or "{}") for r in events]
    assert any(b.get("type") == "heartbeat" for b in bodies), bodies
    vsid = played.page.evaluate("window.senderPlayer.vsid")
    assert all(b.get("vsid") == vsid for b in bodies), bodies


def _viewer_counts(up: SenderUp) -> dict[str, float | None]:
    """The demo's active viewers as the origin sees them and as the metrics role counts them."""
    return {
        "origin": scrape.value(scrape.scrape(up.origin), ORIGIN_GAUGE, endpoint="demo"),
        "metrics": scrape.value(scrape.scrape(up.metrics), METRICS_GAUGE, endpoint="demo"),
    }


def test_counted_as_one_viewer(played: Session) -> None:
    """One page is one viewer at the origin and, through its signed batches, at the metrics role
    (a gauge renamed or a metrics role not counting fails here)."""
    counts: dict[str, float | None] = {}

    def counted_once() -> bool:
        counts.update(_viewer_counts(played.up))
        return counts == {"origin": 1.0, "metrics": 1.0}

    try:  # batches and reports run every couple of seconds
        wait_for(counted_once, 15, "the demo counted as one viewer by origin and metrics")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last counts {counts}") from None


def test_edge_player_plays(session: Session, played: Session) -> None:
    up = session.up
    assert "edge" in up.role_pids(), f"sender up ran without its edge: {up.role_pids()}"
    wait_for(lambda: live_segments(up.edge), 20, "edge segments")
    page = session.browser.new_page()
    try:
        page.goto(f"{up.edge}/sender/player/demo?transport=hls", wait_until="domcontentloaded")
        page.wait_for_function(LIVE_STATE, timeout=20_000)
        playback_advances(page, 2, "edge playback")
        assert page.evaluate("window.senderPlayer.error") is None
        assert page.evaluate("window.senderPlayer.lowLatency") is True
    finally:
        page.close()


def test_offline_overlay_for_an_endpoint_that_is_not_live(session: Session) -> None:
    create_endpoint(session.up.origin, "quiet")
    page = session.browser.new_page()
    try:
        page.goto(
            f"{session.up.origin}/sender/player/quiet?transport=hls", wait_until="domcontentloaded"
        )
        page.wait_for_function(
            "window.senderPlayer && ['idle', 'waiting_source', 'stopped']"
            ".includes(window.senderPlayer.state)",
            timeout=15_000,
        )
        overlay = page.locator(".sender-overlay")
        wait_for(lambda: "Offline" in overlay.inner_text(), 10, "offline overlay")
        assert overlay.is_visible()
        assert page.locator(".sender-live").is_hidden()
        assert page.evaluate("window.senderPlayer.hls") is None
    finally:
        page.close()


def test_unknown_endpoint_overlay(session: Session) -> None:
    page = session.browser.new_page()
    try:
        page.goto(
            f"{session.up.origin}/sender/player/no-such-stream?transport=hls",
            wait_until="domcontentloaded",
        )
        page.wait_for_function(
            "window.senderPlayer && window.senderPlayer.state === 'not_found'", timeout=15_000
        )
        assert "Unknown stream" in page.locator(".sender-overlay").inner_text()
    finally:
        page.close()

"""The web player in Debian's chromium against `sender up --demo`: it plays, tags every
playlist request with its vsid, sends heartbeats, and is counted as one viewer."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.cli.stack import SenderUp, live_segments, start_sender_up
from tests.procs import wait_for

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
EVENTS_PATH = "/sender/api/v1/events"
GAUGES = ("sender_viewers_active", "sender_origin_active_viewers")
ADVANCE_SECONDS = 4.0


@dataclass
class Session:
    up: SenderUp
    page: Any
    browser: Any
    requests: list[Any] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    advanced: float = 0.0


def current_time(page: Any) -> float:
    return float(page.evaluate("document.querySelector('video')?.currentTime ?? 0"))


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    up = start_sender_up(tmp_path_factory.mktemp("player"))
    try:
        wait_for(lambda: len(live_segments(up.origin)) >= 2, 30, "origin segments")
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 960, "height": 600})
                s = Session(up, page, browser)
                page.on("request", lambda req: s.requests.append(req))
                page.on("pageerror", lambda exc: s.page_errors.append(str(exc)))
                page.goto(f"{up.origin}/sender/player/demo", wait_until="domcontentloaded")
                yield s
            finally:
                browser.close()
    finally:
        up.interrupt()
        up.kill()


@pytest.fixture(scope="module")
def played(session: Session) -> Session:
    """Playback has advanced by several seconds (the other tests look at what happened)."""
    page = session.page
    page.wait_for_function(
        "window.senderPlayer && window.senderPlayer.state === 'live'", timeout=20_000
    )
    start = wait_for(lambda: current_time(page) > 0 and current_time(page), 20, "playback start")
    wait_for(lambda: current_time(page) >= start + ADVANCE_SECONDS, 20, "playback advancing")
    session.advanced = current_time(page) - start
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "player.png"))
    return session


def test_playback_advances_without_error(played: Session) -> None:
    assert played.advanced >= ADVANCE_SECONDS
    error = played.page.evaluate("window.senderPlayer.player.error()")
    assert error is None, error
    assert played.page_errors == []
    assert played.page.evaluate("window.senderPlayer.generation") == 1


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


def _gauge(text: str) -> float | None:
    """The demo's active-viewer value, if one of the known gauges is exported."""
    for line in text.splitlines():
        if line.startswith(GAUGES) and 'endpoint="demo"' in line:
            return float(line.rsplit(" ", 1)[1])
    return None


def test_counted_as_one_viewer(played: Session) -> None:
    urls = [f"{played.up.origin}/metrics", f"{played.up.metrics}/metrics"]

    def read() -> list[float]:
        values = []
        for url in urls:
            try:
                r = httpx.get(url, timeout=5)
            except httpx.TransportError:
                continue
            value = _gauge(r.text) if r.status_code == 200 else None
            if value is not None:
                values.append(value)
        return values

    deadline = time.monotonic() + 15  # batches and reports run every couple of seconds
    values = read()
    while time.monotonic() < deadline and (not values or any(v != 1 for v in values)):
        time.sleep(0.5)
        values = read()
    if not values:
        exported = [u for u in urls if any(n in httpx.get(u, timeout=5).text for n in GAUGES)]
        raise AssertionError(
            f"no active-viewers sample for demo ({' or '.join(GAUGES)}); "
            f"gauge family exported at: {exported or 'nowhere'}"
        )
    assert values and all(v == 1 for v in values), values


def test_edge_player_plays(session: Session, played: Session) -> None:
    up = session.up
    if "edge" not in up.role_pids():
        pytest.skip("the edge role is not installed, sender up ran without it")
    wait_for(lambda: live_segments(up.edge), 20, "edge segments")
    page = session.browser.new_page()
    try:
        page.goto(f"{up.edge}/sender/player/demo", wait_until="domcontentloaded")
        page.wait_for_function(
            "window.senderPlayer && window.senderPlayer.state === 'live'", timeout=20_000
        )
        start = wait_for(lambda: current_time(page) > 0 and current_time(page), 20, "edge playback")
        wait_for(lambda: current_time(page) >= start + 2, 20, "edge playback advancing")
        assert page.evaluate("window.senderPlayer.player.error()") is None
    finally:
        page.close()

"""WHEP playback from one origin with a real RTMP publisher: chromium decodes the stream; bad
offers, unknown endpoints and floods get clear answers; abandoned sessions are reaped; a
session is one viewer; a publisher restart keeps a viewer playing without renegotiation."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Browser

from tests import scrape
from tests.procs import (
    Proc,
    create_endpoint,
    publish,
    rtmp_url,
    start_origin,
    stop_publisher,
    stream_state,
)
from tests.waiting import wait_for, wait_for_async
from tests.webrtc.browser_whep import close_whep, open_whep, stats
from tests.webrtc.client import gathered_offer, offer_pc, run_async, watch

pytestmark = pytest.mark.slow
SLUG = "wrtc"
ORIGIN_SETTINGS = {
    "count_localhost": True,
    "webrtc_max_per_client": 3,
    "webrtc_max_sessions": 5,
    "webrtc_connect_timeout": 3,
}


@dataclass
class Live:
    origin: Proc
    key: str
    publisher: subprocess.Popen[bytes]

    @property
    def whep(self) -> str:
        return f"{self.origin.url}/sender/whep/{SLUG}"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    origin = start_origin(tmp_path_factory.mktemp("whep-origin"), settings=ORIGIN_SETTINGS)
    try:
        key = create_endpoint(origin.url, SLUG)
        state = Live(origin, key, publish(rtmp_url(origin, key)))
        wait_for(lambda: stream_state(origin.url, SLUG) == "live", 30, "stream live")
        yield state
        stop_publisher(state.publisher)
    finally:
        origin.stop()


def offer_sdp(**kw: bool) -> str:
    async def make() -> str:
        pc = offer_pc(**kw)
        try:
            return await gathered_offer(pc)
        finally:
            await pc.close()

    return run_async(make)


def post(
    url: str, body: str, *, ctype: str = "application/sdp", source: str = ""
) -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=source) if source else None
    with httpx.Client(transport=transport, timeout=10) as client:
        return client.post(url, content=body, headers={"content-type": ctype})


def test_chromium_plays_over_whep(live: Live, chromium_browser: Browser) -> None:
    page = chromium_browser.new_page()
    try:
        page.goto(f"{live.origin.url}/healthz")
        assert open_whep(page, live.whep) == 201
        seen = wait_for(lambda: (s := stats(page)).get("framesDecoded", 0) > 30 and s, 30, "frames")
        assert seen["state"] == "connected"
        wait_for(lambda: stats(page)["time"] > seen["time"] + 1, 20, "currentTime advancing")
        assert stats(page)["rvfc"] > 0 and stats(page).get("audioPackets", 0) > 0
        text = wait_for(
            lambda: (
                (t := scrape.scrape(live.origin.url))
                and (scrape.value(t, "sender_origin_active_viewers", endpoint=SLUG) or 0) >= 1
                and t
            ),
            10,
            "the session counted as a viewer",
        )
        assert text
        assert close_whep(page) == 200
    finally:
        page.close()


@pytest.mark.parametrize(
    ("body", "ctype", "status"),
    [
        ("hello", "application/sdp", 400),
        ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=video 9 UDP 96\r\n", "application/sdp", 400),
        ("v=0", "text/plain", 415),
        ("v=0\nm=", "application/sdp", 400),
        (
            "v=0\nm=video 9 RTP 96\na=rtpmap:96 H264/90000\na=ice-ufrag:a\na=ice-pwd:b\n"
            "a=fingerprint:sha-256 AA\na=setup:bogus\n",
            "application/sdp",
            400,
        ),
    ],
)
def test_malformed_offers_get_4xx(live: Live, body: str, ctype: str, status: int) -> None:
    r = post(live.whep, body, ctype=ctype)
    assert r.status_code == status, r.text
    assert r.json()["detail"]


def test_an_offer_without_h264_is_refused(live: Live) -> None:
    r = post(live.whep, offer_sdp(h264=False))
    assert r.status_code == 422
    assert "H.264" in r.json()["detail"]


def test_an_unknown_endpoint_is_404(live: Live) -> None:
    r = post(f"{live.origin.url}/sender/whep/no-such-stream", offer_sdp())
    assert r.status_code == 404
    assert post(f"{live.origin.url}/sender/whep/Bad_Slug", offer_sdp()).status_code == 422


def test_floods_are_limited_and_abandoned_sessions_reaped(live: Live) -> None:
    # offers whose viewer never connects: they hold their place until the reaper ends them
    offer = offer_sdp()
    made = [post(live.whep, offer, source="127.0.0.3") for _ in range(3)]
    assert [r.status_code for r in made] == [201, 201, 201]
    refused = post(live.whep, offer, source="127.0.0.3")
    assert refused.status_code == 429 and refused.headers["retry-after"]
    more = [post(live.whep, offer, source="127.0.0.4") for _ in range(3)]
    assert [r.status_code for r in more][:2] == [201, 201]
    assert more[2].status_code == 503 and more[2].headers["retry-after"]
    urls = [f"{live.origin.url}{r.headers['location']}" for r in [*made, *more[:2]]]

    def reaped() -> bool:
        return all(httpx.delete(u, timeout=5).status_code == 404 for u in urls)

    wait_for(reaped, 20, "abandoned sessions reaped")
    assert post(live.whep, offer, source="127.0.0.3").status_code == 201


def test_a_publisher_restart_keeps_the_session_playing(live: Live) -> None:
    async def run() -> tuple[int, int, str]:
        async with httpx.AsyncClient(timeout=10) as client:
            viewer = await watch(client, live.whep)
            try:
                await wait_for_async(lambda: viewer.frames["video"] > 10, 30, "first frames")
                stop_publisher(live.publisher)
                live.publisher = publish(rtmp_url(live.origin, live.key))
                before = viewer.frames["video"]
                await wait_for_async(
                    lambda: stream_state(live.origin.url, SLUG) == "live", 30, "live"
                )
                await wait_for_async(
                    lambda: viewer.frames["video"] > before + 30, 30, "frames again"
                )
                return before, viewer.frames["video"], viewer.pc.connectionState
            finally:
                await viewer.close(client)

    before, after, state = run_async(run)
    assert after > before and state == "connected"


def test_the_player_plays_webrtc_first_and_says_so(live: Live, chromium_browser: Browser) -> None:
    page = chromium_browser.new_page()
    try:
        page.goto(f"{live.origin.url}/sender/player/{SLUG}", wait_until="domcontentloaded")
        page.wait_for_function("window.senderPlayer && window.senderPlayer.transport === 'webrtc'")
        label = page.locator(".sender-transport")
        assert label.text_content() == "WebRTC"
        start = float(page.evaluate("document.querySelector('video').currentTime"))
        page.wait_for_function(f"document.querySelector('video').currentTime > {start + 1}")
    finally:
        page.close()


def test_the_player_falls_back_to_ll_hls(live: Live, chromium_browser: Browser) -> None:
    page = chromium_browser.new_page()
    try:
        page.goto(f"{live.origin.url}/sender/player/{SLUG}?transport=hls")
        page.wait_for_function("window.senderPlayer && window.senderPlayer.transport === 'll-hls'")
        assert page.locator(".sender-transport").text_content() == "LL-HLS"
    finally:
        page.close()

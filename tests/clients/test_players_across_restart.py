"""Real players keep playing across a publisher restart, on the origin and on an edge.

One origin with a two-rendition ladder and one edge; VLC 3, ffmpeg, mpv, streamlink, the web
player (hls.js, low latency) and Shaka Player read for about 40 s while the publisher is
killed and comes back (the same generation: its ffmpeg runs again). Each must keep fetching
segments after the break (VLC at least 5) and the browsers must keep advancing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sender_common.hls.playlist import parse_media_playlist
from tests.browser import chromium
from tests.clients.browsers import media_time, open_player, open_shaka
from tests.clients.readers import Reader, start_readers
from tests.edge.helpers import start_edge, start_session
from tests.origin.ladder import LADDER, wait_ladder_live
from tests.procs import Proc, create_endpoint, publish, rtmp_url, start_origin, stop_publisher
from tests.waiting import wait_for

SLUG = "restart"
READ_SECONDS = 40
BEFORE_BREAK = 10
AFTER_BREAK_SEGMENTS = 5


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Proc, Proc]]:
    origin = start_origin(tmp_path / "o", env={"SENDER_RECONNECT_GRACE_SECONDS": "10"})
    edge = start_edge(tmp_path / "e", origin.url)
    try:
        yield origin, edge
    finally:
        edge.stop()
        origin.stop()


def last_msn(base: str) -> int:
    """The highest media sequence number across the ladder's renditions."""
    return max(
        parse_media_playlist(httpx.get(f"{base}/live/{name}.m3u8", timeout=5).text).last_sequence
        for name in ("src", "low")
    )


def test_players_keep_playing_across_a_publisher_restart(
    nodes: tuple[Proc, Proc], tmp_path: Path
) -> None:
    origin, edge = nodes
    key = create_endpoint(origin.url, SLUG, renditions=LADDER)
    pub = publish(rtmp_url(origin, key))
    readers: list[Reader] = []
    o_base, e_base = f"{origin.url}/sender/hls/{SLUG}", f"{edge.url}/sender/hls/{SLUG}"
    try:
        wait_ladder_live(o_base)
        start_session(edge, SLUG, upstream_url=origin.url)
        wait_ladder_live(e_base)
        readers = start_readers(
            {
                "vlc@edge": f"{e_base}/live.m3u8",
                "vlc@origin": f"{o_base}/live.m3u8",
                "ffmpeg@origin": f"{o_base}/live.m3u8",
                "mpv@edge": f"{e_base}/live.m3u8",
                "streamlink@edge": f"{e_base}/live.m3u8",
            },
            tmp_path / "readers",
        )
        with chromium("--autoplay-policy=no-user-gesture-required") as browser:
            hlsjs = open_player(browser, f"{edge.url}/sender/player/{SLUG}")
            shaka = open_shaka(browser, origin.url, f"{o_base}/live.m3u8")
            started = time.monotonic()
            wait_for(lambda: media_time(shaka, "window.shakaVideo") > 1, 30, "shaka playing")
            wait_for(lambda: media_time(hlsjs, "window.senderPlayer?.video") > 1, 30, "hls.js")
            wait_for(lambda: time.monotonic() - started >= BEFORE_BREAK, BEFORE_BREAK + 1, "play")
            stop_publisher(pub)
            at_break = last_msn(o_base)
            times = {"hls.js": media_time(hlsjs, "window.senderPlayer?.video")}
            times["shaka"] = media_time(shaka, "window.shakaVideo")
            pub = publish(rtmp_url(origin, key))
            wait_for(lambda: last_msn(o_base) >= at_break + 3, 30, "segments after the break")
            left = READ_SECONDS - (time.monotonic() - started)
            wait_for(
                lambda: all(
                    len(r.segments_after(at_break)) >= AFTER_BREAK_SEGMENTS for r in readers
                ),
                max(left, 15),
                "every client past the break",
            )
            # and on for the rest of the reading time: nobody stops a little later either
            wait_for(lambda: time.monotonic() - started >= READ_SECONDS, READ_SECONDS, "reading")
            hls_after = media_time(hlsjs, "window.senderPlayer?.video")
            shaka_after = media_time(shaka, "window.shakaVideo")
            shaka_errors = shaka.evaluate("window.shakaErrors")
        report = {r.name: len(r.segments_after(at_break)) for r in readers}
        print(f"segments after the break: {report}; browsers {times} -> {hls_after, shaka_after}")
        for r in readers:
            assert r.popen.poll() is None, f"{r.name} exited:\n{r.text()[-2000:]}"
            assert not r.fatal(), f"{r.name}: {r.fatal()}"
        assert hls_after >= times["hls.js"] + 5, "hls.js kept playing"
        assert shaka_after >= times["shaka"] + 5, f"shaka kept playing ({shaka_errors})"
    finally:
        for r in readers:
            r.stop()
        stop_publisher(pub)

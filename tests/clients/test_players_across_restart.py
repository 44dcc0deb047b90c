"""Real players keep playing across publisher restarts, on the origin and on an edge.

One origin with a two-rendition ladder and one edge; VLC 3, ffmpeg, mpv, streamlink, the web
player (hls.js, low latency) and Shaka Player read while the publisher is killed twice and
comes back (the same generation: its ffmpeg runs again): first with the same settings (one
timeline goes on), then at another resolution (the source rendition gets a new init section
after a discontinuity, the transcoded one does not). Every client must be reading steadily
before the first break (at least 5 segments fetched, the browsers advancing), fetch at least
5 segments after each break while the browsers advance, and go on doing so after the last
(nobody stops a little later either)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from sender_common.ffmpeg import build_test_publisher_command, resolve_ffmpeg
from sender_common.hls.playlist.parse import parse_media_playlist
from tests.browser import chromium
from tests.clients.browsers import media_time, open_player, open_shaka
from tests.clients.readers import Reader, start_readers
from tests.edge.helpers import start_edge, start_session
from tests.origin.ladder import LADDER, wait_ladder_live
from tests.procs import (
    Proc,
    create_endpoint,
    publish,
    rtmp_url,
    start_origin,
    start_publisher,
    stop_publisher,
)
from tests.waiting import wait_for

SLUG = "restart"
AFTER_BREAK_SEGMENTS = 5
HLSJS = "window.senderPlayer?.video"
SHAKA_VIDEO = "window.shakaVideo"


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Proc, Proc]]:
    origin = start_origin(tmp_path / "o", settings={"reconnect_grace_seconds": 10})
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


def first_after_break(base: str) -> bytes:
    """The first segment after the source rendition's discontinuity (b"" while none)."""
    pl = parse_media_playlist(httpx.get(f"{base}/live/src.m3u8", timeout=5).text)
    found = [s.uri for s in pl.segments if s.discontinuity]
    return httpx.get(f"{base}/live/{found[0]}", timeout=5).content if found else b""


def past(readers: list[Reader], msn: int) -> bool:
    return all(len(r.segments_after(msn)) >= AFTER_BREAK_SEGMENTS for r in readers)


def advancing(pages: dict[str, tuple[Page, str]], before: dict[str, float], what: str) -> None:
    """Each browser's media time at least 4 s past what it was in `before`."""
    for name, (page, video) in pages.items():
        wait_for(
            lambda p=page, v=video, t=before[name]: media_time(p, v) >= t + 4,  # type: ignore[misc]
            20,
            f"{name} playing {what}",
        )


def test_players_keep_playing_across_publisher_restarts(
    nodes: tuple[Proc, Proc], tmp_path: Path
) -> None:
    origin, edge = nodes
    key = create_endpoint(origin.url, SLUG, renditions=LADDER)
    pub = publish(rtmp_url(origin, key))
    readers: list[Reader] = []
    o_base, e_base = f"{origin.url}/sender/hls/{SLUG}", f"{edge.url}/sender/hls/{SLUG}"
    smaller = build_test_publisher_command(
        resolve_ffmpeg(), rtmp_url(origin, key), size="256x144", gop_seconds=1.0
    )
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
            pages = {
                "hls.js": (open_player(browser, f"{edge.url}/sender/player/{SLUG}"), HLSJS),
                "shaka": (open_shaka(browser, origin.url, f"{o_base}/live.m3u8"), SHAKA_VIDEO),
            }
            # reading steadily before the first break: segments fetched, the browsers advancing
            wait_for(lambda: past(readers, -1), 30, "every client reading")
            for name, (page, video) in pages.items():
                wait_for(lambda p=page, v=video: media_time(p, v) > 4, 30, f"{name} playing")  # type: ignore[misc]
            breaks: dict[str, int] = {}
            for what, argv in (("same settings", None), ("256x144", smaller)):
                stop_publisher(pub)
                at_break = last_msn(o_base)
                before = {n: media_time(p, v) for n, (p, v) in pages.items()}
                pub = publish(rtmp_url(origin, key)) if argv is None else start_publisher(argv)
                for base in (o_base, e_base) if argv is not None else ():
                    # the new init section leads the segment after the discontinuity
                    head = wait_for(lambda b=base: first_after_break(b), 20, "a new init")  # type: ignore[misc]
                    assert head[4:8] == b"ftyp" and b"moov" in head[:4096], base
                wait_for(lambda m=at_break: past(readers, m), 30, f"every client past {what}")  # type: ignore[misc]
                advancing(pages, before, f"after the restart with {what}")
                breaks[what] = at_break
            # and on after the last break: nobody stops a little later either
            at_end = last_msn(o_base)
            before = {n: media_time(p, v) for n, (p, v) in pages.items()}
            wait_for(lambda: past(readers, at_end), 30, "every client still reading")
            advancing(pages, before, "still")
            shaka_errors = pages["shaka"][0].evaluate("window.shakaErrors")
        report = {w: {r.name: len(r.segments_after(m)) for r in readers} for w, m in breaks.items()}
        print(f"segments fetched after each break: {report}; shaka errors {shaka_errors}")
        for r in readers:
            assert r.popen.poll() is None, f"{r.name} exited:\n{r.text()[-2000:]}"
            assert not r.fatal(), f"{r.name}: {r.fatal()}"
    finally:
        for r in readers:
            r.stop()
        stop_publisher(pub)

"""The optional offline slate keeps players playing while no one publishes."""

from __future__ import annotations

from pathlib import Path

import httpx

from sender_common.hls.playlist.parse import MediaPlaylist, parse_media_playlist
from tests.procs import create_endpoint, publish, rtmp_url, start_origin, stop_publisher
from tests.waiting import wait_for


def test_slate_loops_until_live_then_returns(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "o")
    key = create_endpoint(origin.url, "slated", offline_slate=True)
    url = f"{origin.url}/sender/hls/slated/live.m3u8"

    def playlist() -> MediaPlaylist | None:
        r = httpx.get(url, timeout=5)
        return parse_media_playlist(r.text) if r.status_code == 200 else None

    first = wait_for(playlist, 30, "a slate playlist before any publish")
    assert first.segments[0].uri == "0/src/slate_00000.m4s" and not first.endlist
    seg = httpx.get(f"{origin.url}/sender/hls/slated/{first.segments[0].uri}")
    assert seg.status_code == 200 and seg.content[4:8] == b"moof"
    init = httpx.get(f"{origin.url}/sender/hls/slated/0/src/slate_init.mp4")
    assert init.status_code == 200 and init.content[4:8] == b"ftyp"
    looped = wait_for(lambda: (p := playlist()) and len(p.segments) >= 3 and p, 15, "slate loop")
    assert all(s.discontinuity for s in looped.segments[1:])  # each loop restarts timestamps

    pub = publish(rtmp_url(origin, key))
    try:

        def live() -> MediaPlaylist | None:
            p = playlist()
            return p if p and any(s.uri.startswith("1/") for s in p.segments) else None

        on_air = wait_for(live, 30, "live segments after the slate")
        first_live = next(i for i, s in enumerate(on_air.segments) if s.uri.startswith("1/"))
        assert on_air.segments[first_live].discontinuity
        seq_live = on_air.media_sequence + first_live
    finally:
        stop_publisher(pub)

    def slate_again() -> MediaPlaylist | None:
        p = playlist()
        if p is None or p.endlist:
            return None
        tail = p.segments[-1]
        return (
            p
            if tail.uri.startswith("0/") and p.media_sequence + len(p.segments) > seq_live
            else None
        )

    back = wait_for(slate_again, 30, "the slate after the publisher left")
    assert not back.endlist
    origin.stop()

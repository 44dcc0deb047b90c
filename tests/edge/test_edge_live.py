"""The edge as a real process mirroring a real origin fed by a real ffmpeg publisher."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sender_common.hls.playlist.parse import parse_media_playlist
from tests import scrape
from tests.edge.helpers import (
    follow_live,
    self_signed,
    sequences,
    session,
    start_edge,
    start_live_endpoint,
    start_session,
    wait_state,
)
from tests.procs import Proc, create_endpoint, publish, rtmp_url, start_origin, stop_publisher
from tests.tools import ffprobe
from tests.waiting import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def edge(origin: Proc, tmp_path: Path) -> Iterator[Proc]:
    proc = start_edge(tmp_path / "edge", origin.url)
    yield proc
    proc.stop()


def common_sequences(origin: Proc, edge: Proc, slug: str) -> dict[str, tuple[int, int]]:
    up, down = sequences(origin.url, slug), sequences(edge.url, slug)
    return {uri: (up[uri], down[uri]) for uri in up.keys() & down.keys()}


def test_edge_mirrors_same_sequences_and_bytes(origin: Proc, edge: Proc) -> None:
    pub = start_live_endpoint(origin, "cam-a")
    try:
        first = start_session(edge, "cam-a")
        assert first["mode"] == "hls_edge"
        assert first["state"] in ("waiting_source", "live")
        again = start_session(edge, "cam-a")  # idempotent: same shape, no second worker
        assert again["endpoint"] == "cam-a"
        wait_state(edge, "cam-a", "live", 20)

        common = wait_for(lambda: common_sequences(origin, edge, "cam-a"), 20, "common segments")
        assert all(up == down for up, down in common.values()), common
        uri = sorted(common)[0]
        up = httpx.get(f"{origin.url}/sender/hls/cam-a/{uri}", timeout=5)
        down = httpx.get(f"{edge.url}/sender/hls/cam-a/{uri}", timeout=5)
        assert down.status_code == 200
        assert down.content == up.content
        assert down.headers["content-type"] == "video/iso.segment"
        init = parse_media_playlist(httpx.get(f"{edge.url}/sender/hls/cam-a/live.m3u8").text)
        map_uri = init.segments[0].map_uri
        assert map_uri is not None and map_uri.endswith(".mp4")  # the CMAF init section
        up_init = httpx.get(f"{origin.url}/sender/hls/cam-a/{map_uri}", timeout=5)
        assert httpx.get(f"{edge.url}/sender/hls/cam-a/{map_uri}").content == up_init.content

        playlist = f"{edge.url}/sender/hls/cam-a/live.m3u8"
        probe = ffprobe(playlist, "-show_entries", "stream=codec_type")
        kinds = {s["codec_type"] for s in probe["streams"]}
        assert "video" in kinds

        play = httpx.get(f"{edge.url}/api/v1/playback/cam-a", timeout=5).json()
        assert play["state"] == "live"
        assert play["live_url"] == "/sender/hls/cam-a/live.m3u8"
        assert play["generation"] == 1
        metrics = scrape.scrape(edge.url)
        assert scrape.declares(metrics, "sender_edge_segments_mirrored_total")
        listed = httpx.get(f"{edge.url}/api/v1/edge/sessions", timeout=5).json()
        assert listed["count"] == 1
    finally:
        stop_publisher(pub)


def test_edge_recovers_sessions_after_sigkill(origin: Proc, tmp_path: Path) -> None:
    pub = start_live_endpoint(origin, "cam-b")
    edge = start_edge(tmp_path / "edge", origin.url)
    try:
        follow_live(edge, "cam-b")
        edge.kill()
        # Same data dir, no API call: the reconciler (every second) brings the session back.
        edge = start_edge(tmp_path / "edge", origin.url)
        wait_state(edge, "cam-b", "live", 5)
        common = wait_for(lambda: common_sequences(origin, edge, "cam-b"), 10, "common segments")
        assert all(up == down for up, down in common.values()), common
    finally:
        edge.stop()
        stop_publisher(pub)


def test_edge_follows_a_new_generation(origin: Proc, edge: Proc) -> None:
    key = create_endpoint(origin.url, "cam-c")
    pub = publish(rtmp_url(origin, key))
    try:
        follow_live(edge, "cam-c", 30)
        before = session(edge, "cam-c")["media_sequence"]
        stop_publisher(pub)
        # The origin ends generation 1 after its reconnect grace; the edge mirrors the end.
        wait_state(edge, "cam-c", "waiting_source", 20)
        pub = publish(rtmp_url(origin, key))
        status = wait_for(
            lambda: (s := session(edge, "cam-c"))["generation"] == 2 and s["state"] == "live" and s,
            30,
            "edge on generation 2",
        )
        assert status["media_sequence"] >= before
        wait_for(  # the status turns with the first part; the first whole segment follows
            lambda: any(uri.startswith("2/src/") for uri in sequences(edge.url, "cam-c")),
            10,
            "a generation 2 segment on the edge",
        )
        common = wait_for(lambda: common_sequences(origin, edge, "cam-c"), 10, "common segments")
        assert all(up == down for up, down in common.values()), common
    finally:
        stop_publisher(pub)


def test_edge_keeps_its_window_when_the_origin_dies(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "origin")
    pub = start_live_endpoint(origin, "cam-d")
    edge = start_edge(tmp_path / "edge", origin.url)
    try:
        follow_live(edge, "cam-d")
        origin.kill()
        stale = wait_state(edge, "cam-d", "stale", 20)
        assert "unreachable" in (stale["last_error"] or "")
        window = sequences(edge.url, "cam-d")
        assert window
        seg = httpx.get(f"{edge.url}/sender/hls/cam-d/{sorted(window)[-1]}", timeout=5)
        assert seg.status_code == 200
        assert len(seg.content) > 0
    finally:
        edge.stop()
        stop_publisher(pub)
        origin.kill()


def test_edge_tls_upstream_verification(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    origin = start_origin(tmp_path / "origin", ssl=(cert, key))
    assert origin.url.startswith("https://")
    pub = start_live_endpoint(origin, "cam-e")
    edge = start_edge(tmp_path / "edge", None)
    try:
        start_session(edge, "cam-e", upstream_url=origin.url, verify_tls=True)
        failed = wait_state(edge, "cam-e", "error", 20)
        assert failed["last_error"].startswith("upstream TLS verification failed")
        status = start_session(edge, "cam-e", upstream_url=origin.url, verify_tls=False)
        assert status["verify_tls"] is False
        wait_state(edge, "cam-e", "live", 20)
        assert sequences(edge.url, "cam-e")
    finally:
        edge.stop()
        stop_publisher(pub)
        origin.stop()


def test_a_frozen_upstream_is_not_served_as_live(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "origin")
    edge = start_edge(
        tmp_path / "edge",
        origin.url,
        settings={"upstream_grace_seconds": 2, "stale_after_targets": 2},
    )
    pub = start_live_endpoint(origin, "frozen")
    try:
        start_session(edge, "frozen", upstream_url=origin.url)
        wait_for(lambda: len(sequences(edge.url, "frozen")) >= 2, 40, "edge mirroring")
        origin.kill()  # the upstream vanishes mid-stream

        def ended() -> str | None:
            text = httpx.get(f"{edge.url}/sender/hls/frozen/live.m3u8", timeout=5).text
            return text if "#EXT-X-ENDLIST" in text else None

        text = wait_for(ended, 20, "the edge ending its live window")
        assert parse_media_playlist(text).segments  # the last window stays playable
    finally:
        stop_publisher(pub)
        edge.stop()
        origin.kill()


def test_edge_follows_a_reconnect_on_one_timeline(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "origin", settings={"reconnect_grace_seconds": 8})
    edge = start_edge(tmp_path / "edge", origin.url)
    key = create_endpoint(origin.url, "recon")
    pub = publish(rtmp_url(origin, key))
    try:
        start_session(edge, "recon", upstream_url=origin.url)
        wait_for(lambda: len(sequences(edge.url, "recon")) >= 2, 40, "edge mirroring")
        before = sequences(edge.url, "recon")
        stop_publisher(pub)
        pub = publish(rtmp_url(origin, key))  # back inside the grace period
        last_before = max(before.values())

        def after_break() -> str | None:
            r = httpx.get(f"{edge.url}/sender/hls/recon/live.m3u8", timeout=5)
            pl = parse_media_playlist(r.text) if r.status_code == 200 else None
            return r.text if pl is not None and pl.last_sequence >= last_before + 4 else None

        text = wait_for(after_break, 40, "segments after the break on the edge")
        pl = parse_media_playlist(text)
        # the publisher came back with the same settings: the same init, no discontinuity
        assert not any(s.discontinuity for s in pl.segments)
        assert text.count("#EXT-X-MAP:") == 1
        assert not pl.endlist
        after = sequences(edge.url, "recon")
        for uri, seq in after.items():  # numbers never move, and they match the origin's
            if uri in before:
                assert before[uri] == seq
        origin_seq = sequences(origin.url, "recon")
        assert all(origin_seq[u] == n for u, n in after.items() if u in origin_seq)
        assert session(edge, "recon")["generation"] == 1
    finally:
        stop_publisher(pub)
        edge.stop()
        origin.stop()

"""The origin as a real process: real ffmpeg publishes over RTMP, HLS comes out over HTTP."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx

from sender_common.hls.playlist.parse import parse_media_playlist
from tests import scrape
from tests.procs import (
    Proc,
    children_of,
    create_endpoint,
    pid_alive,
    publish,
    rtmp_url,
    start_origin,
    stop_publisher,
    stream_state,
    stream_status,
)
from tests.tools import ffprobe
from tests.waiting import wait_for


def live(origin: Proc, slug: str) -> str:
    r = httpx.get(f"{origin.url}/sender/hls/{slug}/live.m3u8", timeout=5)
    return r.text if r.status_code == 200 else ""


def segments(origin: Proc, slug: str, n: int = 2) -> list[str]:
    text = live(origin, slug)
    if not text:
        return []
    uris = [s.uri for s in parse_media_playlist(text).segments]
    return uris if len(uris) >= n else []


def test_publish_becomes_hls_readable_by_ffprobe(origin: Proc) -> None:
    key = create_endpoint(origin.url, "cam1")
    pub = publish(rtmp_url(origin, key))
    try:
        uris = wait_for(lambda: segments(origin, "cam1", 3), 30, "three segments")
        assert uris[0].startswith("1/src/seg")
        seg = httpx.get(f"{origin.url}/sender/hls/cam1/{uris[0]}", timeout=5)
        assert seg.status_code == 200
        assert seg.headers["content-type"] == "video/iso.segment"
        assert "immutable" in seg.headers["cache-control"]
        assert seg.content[4:8] == b"moof"  # a CMAF segment: fragments of the init's tracks
        pl = httpx.get(f"{origin.url}/sender/hls/cam1/live.m3u8", timeout=5)
        assert pl.headers["content-type"] == "application/vnd.apple.mpegurl"
        assert pl.headers["access-control-allow-origin"] == "*"
        ranged = httpx.get(
            f"{origin.url}/sender/hls/cam1/{uris[0]}", headers={"Range": "bytes=0-187"}, timeout=5
        )
        assert ranged.status_code == 206 and len(ranged.content) == 188
        probe = ffprobe(f"{origin.url}/sender/hls/cam1/live.m3u8", "-show_streams", timeout=30)
        kinds = {s["codec_type"] for s in probe["streams"]}
        assert kinds == {"video", "audio"}
        st = stream_status(origin.url, "cam1")
        assert st["state"] == "live" and st["generation"] == 1
        metrics = scrape.scrape(origin.url)
        assert scrape.value(metrics, "sender_origin_active_ingests") == 1.0
    finally:
        stop_publisher(pub)
    wait_for(lambda: stream_state(origin.url, "cam1") == "waiting_source", 15, "publish end")
    wait_for(lambda: "#EXT-X-ENDLIST" in live(origin, "cam1"), 10, "ENDLIST")


def test_wrong_key_refused_and_never_logged(origin: Proc) -> None:
    create_endpoint(origin.url, "cam2")
    bad = "sk_this-key-is-wrong-0123456789"
    pub = publish(rtmp_url(origin, bad), duration=5)
    try:
        rc = pub.wait(20)
    finally:
        stop_publisher(pub)
    assert rc != 0
    assert stream_state(origin.url, "cam2") == "waiting_source"
    metrics = scrape.scrape(origin.url)
    assert scrape.value(metrics, "sender_origin_publish_refused_total", reason="unknown_key")
    assert bad not in origin.log()


def test_start_is_idempotent_and_works_before_publish(origin: Proc) -> None:
    key = create_endpoint(origin.url, "cam3", auto_start=False)
    assert stream_state(origin.url, "cam3") == "stopped"
    refused = publish(rtmp_url(origin, key), duration=5)
    assert refused.wait(20) != 0  # not started, auto_start off: refused
    first = httpx.post(f"{origin.url}/api/v1/streams/cam3/start", timeout=5)
    second = httpx.post(f"{origin.url}/api/v1/streams/cam3/start", timeout=5)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert first.json()["state"] == "waiting_source"
    pub = publish(rtmp_url(origin, key))
    try:
        wait_for(lambda: stream_state(origin.url, "cam3") == "live", 20, "live")
        again = httpx.post(f"{origin.url}/api/v1/streams/cam3/start", timeout=5)
        assert again.status_code == 200 and again.json()["state"] == "live"
        stopped = httpx.post(f"{origin.url}/api/v1/streams/cam3/stop", timeout=10).json()
        assert stopped["state"] == "stopped"
        assert pub.wait(20) is not None
    finally:
        stop_publisher(pub)


def test_second_publisher_refused_and_two_endpoints_at_once(origin: Proc) -> None:
    key_a = create_endpoint(origin.url, "multi-a")
    key_b = create_endpoint(origin.url, "multi-b")
    a = publish(rtmp_url(origin, key_a))
    b = publish(rtmp_url(origin, key_b))
    try:
        wait_for(lambda: segments(origin, "multi-a", 1), 30, "a live")
        wait_for(lambda: segments(origin, "multi-b", 1), 30, "b live")
        dup = publish(rtmp_url(origin, key_a), duration=5)
        assert dup.wait(20) != 0
        assert stream_state(origin.url, "multi-a") == "live"
        metrics = scrape.scrape(origin.url)
        assert scrape.value(metrics, "sender_origin_publish_refused_total", reason="already_live")
    finally:
        stop_publisher(a)
        stop_publisher(b)


def test_reconnect_starts_generation_two_and_live_sequence_rises(origin: Proc) -> None:
    key = create_endpoint(origin.url, "cam4")
    pub = publish(rtmp_url(origin, key))
    try:
        wait_for(lambda: segments(origin, "cam4", 2), 30, "gen 1 segments")
        first = parse_media_playlist(live(origin, "cam4"))
        seq_of = {s.uri: first.media_sequence + i for i, s in enumerate(first.segments)}
    finally:
        stop_publisher(pub)
    wait_for(lambda: "#EXT-X-ENDLIST" in live(origin, "cam4"), 15, "gen 1 end (after the grace)")
    pub = publish(rtmp_url(origin, key))
    try:
        wait_for(lambda: stream_status(origin.url, "cam4")["generation"] == 2, 20, "generation 2")
        wait_for(
            lambda: any(u.startswith("2/") for u in segments(origin, "cam4", 1)),
            30,
            "gen 2 segments in live playlist",
        )
        pl = parse_media_playlist(live(origin, "cam4"))
        numbered = {s.uri: pl.media_sequence + i for i, s in enumerate(pl.segments)}
        for uri, seq in numbered.items():  # a segment keeps its number (RFC 8216 6.2.1)
            if uri in seq_of:
                assert seq_of[uri] == seq
        gen2 = [i for i, s in enumerate(pl.segments) if s.uri.startswith("2/")]
        assert pl.segments[gen2[0]].discontinuity or gen2[0] == 0
        assert min(numbered[pl.segments[i].uri] for i in gen2) > max(seq_of.values())
        gens = httpx.get(f"{origin.url}/api/v1/endpoints/cam4/generations", timeout=5).json()
        assert [g["number"] for g in gens] == [2, 1]
        assert gens[1]["state"] == "ended"
    finally:
        stop_publisher(pub)


def test_killing_the_origin_leaves_no_ffmpeg(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "o")
    key = create_endpoint(origin.url, "orphans")
    pub = publish(rtmp_url(origin, key))
    try:
        wait_for(lambda: segments(origin, "orphans", 1), 30, "live")
        kids = children_of(origin.pid)
        assert kids, "the origin runs an ffmpeg"
        os.kill(origin.pid, signal.SIGKILL)
        origin.popen.wait(10)
        wait_for(lambda: not any(pid_alive(k) for k in kids), 10, "ffmpeg gone with its parent")
    finally:
        stop_publisher(pub)
        origin.kill()

"""SRT ingest for real: ffmpeg publishes MPEG-TS over SRT into an origin process; callers are
admitted or refused during the handshake by their stream ID."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import httpx

from sender_common.hls.playlist.parse import parse_media_playlist
from tests import scrape
from tests.origin.ingest.srt_caller import (
    SRT_REJ_BADSECRET,
    SRT_REJ_UNSECURE,
    free_udp_port,
    hang_up,
    peer_latency,
    srt_call,
)
from tests.origin.ladder import LADDER, wait_ladder_live
from tests.procs import (
    Proc,
    create_endpoint,
    publish,
    start_origin,
    stop_publisher,
    stream_state,
    stream_status,
)
from tests.tools import ffprobe
from tests.waiting import wait_for

PASSPHRASE = "correct-horse-battery"


ORIGIN_SETTINGS = {"srt_port": free_udp_port(), "srt_idle_timeout": 10}


def srt_port(origin: Proc) -> int:
    return int(str(origin.settings["srt_port"]))


def srt_url(origin: Proc, stream_id: str, extra: str = "") -> str:
    port = srt_port(origin)
    return f"srt://127.0.0.1:{port}?streamid={stream_id}&latency=200000{extra}"


def media_sequence_and_count(origin: Proc, slug: str) -> tuple[int, int] | None:
    r = httpx.get(f"{origin.url}/sender/hls/{slug}/live.m3u8", timeout=5)
    if r.status_code != 200:
        return None
    pl = parse_media_playlist(r.text)
    return (pl.media_sequence, len(pl.segments)) if pl.segments else None


def refused(origin: Proc, reason: str) -> float:
    text = scrape.scrape(origin.url)
    return scrape.value(text, "sender_origin_publish_refused_total", reason=reason) or 0.0


def test_ffmpeg_publishes_over_srt_and_the_hls_plays(origin: Proc) -> None:
    key = create_endpoint(origin.url, "srt1")
    shown = httpx.get(f"{origin.url}/api/v1/endpoints/srt1", timeout=5).json()
    port = srt_port(origin)
    assert shown["srt_url"] == (
        f"srt://127.0.0.1:{port}?streamid=publish:live/{{stream_key}}&latency=200000"
    )
    assert key not in json.dumps(shown)
    pub = publish(srt_url(origin, f"publish:live/{key}"))
    try:
        wait_for(lambda: (m := media_sequence_and_count(origin, "srt1")) and m[1] >= 3, 30, "HLS")
        probe = ffprobe(f"{origin.url}/sender/hls/srt1/live.m3u8", "-show_streams", timeout=30)
        streams = probe["streams"]
        assert {s["codec_type"] for s in streams} == {"video", "audio"}
        assert {s["codec_name"] for s in streams} == {"h264", "aac"}
        st = stream_status(origin.url, "srt1")
        assert st["state"] == "live"
        assert st["generation"] == 1
    finally:
        stop_publisher(pub)
    wait_for(lambda: stream_state(origin.url, "srt1") == "waiting_source", 15, "publish end")
    assert key not in origin.log()


def test_access_control_syntax_and_the_callers_latency(origin: Proc) -> None:
    key = create_endpoint(origin.url, "srt2")
    call = srt_call(srt_port(origin), f"#!::r=live/{key},m=publish", latency_ms=350)
    try:
        assert call.sock is not None, call.reason
        assert peer_latency(call) == 350  # the origin receives with the caller's latency
        wait_for(lambda: stream_state(origin.url, "srt2") == "live", 10, "publish accepted")
    finally:
        hang_up(call)
    wait_for(lambda: stream_state(origin.url, "srt2") == "waiting_source", 15, "publish end")
    pub = publish(srt_url(origin, f"#!::r=live/{key},m=publish"))
    try:
        wait_for(lambda: media_sequence_and_count(origin, "srt2"), 30, "HLS via #!:: syntax")
    finally:
        stop_publisher(pub)


def test_wrong_blocked_and_already_live_keys_refused_at_handshake(origin: Proc) -> None:
    port = srt_port(origin)
    key = create_endpoint(origin.url, "srt3")
    bad = "sk_this-key-is-wrong-0123456789"
    before = refused(origin, "unknown_key")
    assert srt_call(port, f"publish:live/{bad}").reason == 1401
    assert srt_call(port, f"#!::r=live/{bad},m=publish").reason == 1401
    assert srt_call(port, f"#!::r=live/{key},m=request").reason == 1405
    assert srt_call(port, f"publish:other/{key}").reason == 1400
    stopped = create_endpoint(origin.url, "srt3b", auto_start=False)
    assert srt_call(port, f"publish:live/{stopped}").reason == 1503
    wrong = publish(srt_url(origin, f"publish:live/{bad}"), duration=5)
    try:
        assert wrong.wait(20) != 0  # ffmpeg itself is turned away
    finally:
        stop_publisher(wrong)
    assert refused(origin, "unknown_key") == before + 3
    first = srt_call(port, f"publish:live/{key}")
    try:
        assert first.sock is not None
        wait_for(lambda: stream_state(origin.url, "srt3") == "live", 10, "first publisher")
        assert srt_call(port, f"publish:live/{key}").reason == 1409
        httpx.post(f"{origin.url}/api/v1/streams/srt3/kick?block=true", timeout=10)
        wait_for(lambda: stream_state(origin.url, "srt3") != "live", 10, "kick")
        assert srt_call(port, f"publish:live/{key}").reason == 1403
    finally:
        hang_up(first)
    assert refused(origin, "already_live") >= 1
    assert refused(origin, "blocked") >= 1
    assert bad not in origin.log()
    assert key not in origin.log()


def test_passphrase_right_and_wrong(origin: Proc) -> None:
    port = srt_port(origin)
    r = httpx.post(
        f"{origin.url}/api/v1/endpoints",
        json={"slug": "srt4", "passphrase": PASSPHRASE},
        timeout=10,
    )
    assert r.status_code == 201
    created = r.json()
    key = created["stream_key"]
    assert created["encrypted"] is True
    assert created["srt_url"].endswith(f"&passphrase={PASSPHRASE}")
    shown = httpx.get(f"{origin.url}/api/v1/endpoints/srt4", timeout=5).json()
    assert PASSPHRASE not in json.dumps(shown)
    short = httpx.post(
        f"{origin.url}/api/v1/endpoints", json={"slug": "srt5", "passphrase": "short"}, timeout=10
    )
    assert short.status_code == 422
    assert "detail" in short.json()
    spaced = httpx.post(
        f"{origin.url}/api/v1/endpoints",
        json={"slug": "srt5", "passphrase": "with spaces & more"},
        timeout=10,
    )
    assert spaced.status_code == 422
    assert srt_call(port, f"publish:live/{key}", passphrase="wrong passphrase").reason == (
        SRT_REJ_BADSECRET
    )
    assert srt_call(port, f"publish:live/{key}").reason in (SRT_REJ_BADSECRET, SRT_REJ_UNSECURE)
    pub = publish(srt_url(origin, f"publish:live/{key}", f"&passphrase={PASSPHRASE}"))
    try:
        wait_for(lambda: media_sequence_and_count(origin, "srt4"), 30, "encrypted publish")
    finally:
        stop_publisher(pub)
    assert PASSPHRASE not in origin.log()


def test_a_killed_ffmpeg_resumes_the_srt_stream_in_the_same_generation(origin: Proc) -> None:
    key = create_endpoint(origin.url, "srt6")
    pub = publish(srt_url(origin, f"publish:live/{key}"))
    live = f"{origin.url}/sender/hls/srt6/live.m3u8"
    try:
        wait_for(lambda: (m := media_sequence_and_count(origin, "srt6")) and m[1] >= 2, 30, "HLS")
        old_pid = stream_status(origin.url, "srt6")["ffmpeg"]["pid"]
        at_kill = parse_media_playlist(httpx.get(live, timeout=5).text).last_sequence
        os.kill(old_pid, signal.SIGKILL)

        def after_restart() -> int:
            return parse_media_playlist(httpx.get(live, timeout=5).text).last_sequence - at_kill

        wait_for(lambda: after_restart() >= 3, 30, "segments from the new ffmpeg")
        st = stream_status(origin.url, "srt6")
        assert st["state"] == "live"
        assert st["generation"] == 1
        assert st["ffmpeg"]["restarts"] == 1
    finally:
        stop_publisher(pub)


def test_a_ladder_applies_to_an_srt_publish(origin: Proc) -> None:
    key = create_endpoint(origin.url, "srt7", renditions=LADDER)
    base = f"{origin.url}/sender/hls/srt7"
    pub = publish(srt_url(origin, f"publish:live/{key}"))
    try:
        wait_ladder_live(base)
    finally:
        stop_publisher(pub)


def test_an_srt_reconnect_inside_the_grace_continues_the_generation(tmp_path: Path) -> None:
    port = free_udp_port()
    origin = start_origin(
        tmp_path / "o",
        settings={"srt_port": port, "reconnect_grace_seconds": 15},
    )
    try:
        key = create_endpoint(origin.url, "again")
        first = publish(srt_url(origin, f"publish:live/{key}"), duration=3)
        try:
            assert first.wait(30) == 0  # ends cleanly: SRT tells the origin at once
        finally:
            stop_publisher(first)
        wait_for(lambda: stream_status(origin.url, "again").get("reconnect_deadline"), 10, "grace")
        second = publish(srt_url(origin, f"publish:live/{key}"))
        try:
            wait_for(lambda: stream_state(origin.url, "again") == "live", 20, "back live")
            assert stream_status(origin.url, "again")["generation"] == 1
            live = f"{origin.url}/sender/hls/again/live.m3u8"
            at = parse_media_playlist(httpx.get(live).text).last_sequence
            text = wait_for(
                lambda: (
                    (t := httpx.get(live).text)
                    and parse_media_playlist(t).last_sequence >= at + 2
                    and t
                ),
                30,
                "segments after the reconnect",
            )
            uris = [seg.uri for seg in parse_media_playlist(text).segments]
            assert uris
            assert all(u.startswith("1/src/") for u in uris)  # all in generation 1
        finally:
            stop_publisher(second)
    finally:
        origin.stop()

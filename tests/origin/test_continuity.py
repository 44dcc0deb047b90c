"""Publisher drops and restarts never break a viewer (plain HLS clients included)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from sender_common.ffmpeg import resolve_ffmpeg
from sender_common.hls.playlist.parse import MediaPlaylist, parse_media_playlist
from tests.procs import create_endpoint, publish, rtmp_url, start_origin, stop_publisher
from tests.waiting import wait_for


def test_reconnect_inside_grace_continues_the_generation(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "o", settings={"reconnect_grace_seconds": 8})
    live_url = f"{origin.url}/sender/hls/cont/live.m3u8"
    key = create_endpoint(origin.url, "cont")

    def playlist() -> MediaPlaylist | None:
        r = httpx.get(live_url, timeout=5)
        return parse_media_playlist(r.text) if r.status_code == 200 else None

    pub = publish(rtmp_url(origin, key))
    client = None
    try:
        wait_for(lambda: (p := playlist()) and len(p.segments) >= 2, 30, "first segments")
        client = subprocess.Popen(  # a plain HLS client reading across the break
            [
                resolve_ffmpeg(),
                "-hide_banner",
                "-loglevel",
                "error",
                "-i",
                live_url,
                "-c",
                "copy",
                "-f",
                "null",
                "-",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        before = playlist()
        assert before is not None
        stop_publisher(pub)
        st = wait_for(
            lambda: httpx.get(f"{origin.url}/api/v1/streams/cont").json().get("reconnect_deadline"),
            10,
            "grace period",
        )
        assert st
        during = playlist()
        assert during is not None and not during.endlist  # held open for the reconnect
        pub = publish(rtmp_url(origin, key))
        wait_for(
            lambda: httpx.get(f"{origin.url}/api/v1/streams/cont").json()["state"] == "live",
            20,
            "live again",
        )

        restart_at = playlist()
        assert restart_at is not None

        def after_break() -> MediaPlaylist | None:
            p = playlist()  # the new ffmpeg run's segments, a few of them
            return p if p is not None and p.last_sequence >= restart_at.last_sequence + 3 else None

        after = wait_for(after_break, 30, "segments after the break")
        assert httpx.get(f"{origin.url}/api/v1/streams/cont").json()["generation"] == 1
        assert after.media_sequence >= before.media_sequence
        # the same publisher settings give the same init section: one timeline goes on
        assert not any(s.discontinuity for s in after.segments)
        maps = [ln for ln in httpx.get(live_url).text.splitlines() if ln.startswith("#EXT-X-MAP")]
        assert maps == ['#EXT-X-MAP:URI="1/src/init1000000.mp4"']
        assert all(s.uri.startswith("1/") for s in after.segments)
        assert client.poll() is None, "the HLS client kept reading across the break"
    finally:
        stop_publisher(pub)
    ended = wait_for(lambda: (p := playlist()) and p.endlist and p, 20, "ENDLIST after the grace")
    assert ended.endlist
    assert client is not None
    _, err = client.communicate(timeout=30)
    assert client.returncode == 0, err.decode()[-2000:]
    origin.stop()


def test_kick_with_block_refuses_the_key_until_rotation(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "o", settings={"reconnect_grace_seconds": 8})
    key = create_endpoint(origin.url, "kickme")
    pub = publish(rtmp_url(origin, key))
    try:
        wait_for(
            lambda: httpx.get(f"{origin.url}/api/v1/streams/kickme").json()["state"] == "live",
            20,
            "live",
        )
        peer = httpx.get(f"{origin.url}/api/v1/streams/kickme").json()["publisher"]["peer"]
        assert peer.startswith("127.0.0.1:")
        st = httpx.post(f"{origin.url}/api/v1/streams/kickme/kick?block=true", timeout=10).json()
        assert st["publisher"] is None
        assert st["reconnect_deadline"] is None  # blocked: the generation ends at once
        pub.wait(20)
        again = publish(rtmp_url(origin, key), duration=4)
        assert again.wait(20) != 0
        rotated = httpx.post(f"{origin.url}/api/v1/endpoints/kickme/rotate-key").json()
        assert rotated["key_blocked"] is False
        pub = publish(rtmp_url(origin, rotated["stream_key"]))
        wait_for(
            lambda: httpx.get(f"{origin.url}/api/v1/streams/kickme").json()["generation"] == 2,
            20,
            "generation 2 with the new key",
        )
    finally:
        stop_publisher(pub)
        origin.stop()

"""A real origin fed faster than realtime by ffmpeg: segments are cut on the publisher's 2 s GOP.

Before #11 a type-3 header starting a new message kept the previous timestamp, so a still
picture lost a frame duration per such frame: keyframes looked closer than 2 s, the HLS
muxer skipped cuts, and the playlist showed 4 s segments with TARGETDURATION 4.
"""

from __future__ import annotations

import subprocess

import httpx
import pytest

from sender_common.hls.playlist.parse import parse_media_playlist
from tests.origin.ingest.media import still_argv
from tests.procs import (
    Proc,
    create_endpoint,
    rtmp_url,
    start_publisher,
    stop_publisher,
    stream_status,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.slow
FRAME = 1 / 30


ORIGIN_SETTINGS = {"hls_segment_seconds": 2, "hls_window_segments": 6}


def publish_still(
    origin: Proc, key: str, seconds: int, gop: int, readrate: float | None = None
) -> subprocess.Popen[bytes]:
    """The still picture for `seconds`, a keyframe every `gop` frames, as fast as ffmpeg goes
    (or `readrate` times real time)."""
    argv = still_argv(seconds, gop=gop, readrate=readrate)
    return start_publisher([*argv, rtmp_url(origin, key)])


class PlaylistWatch:
    """Every segment duration and TARGETDURATION seen in live.m3u8 while polling."""

    def __init__(self, origin: Proc, slug: str) -> None:
        self.url = f"{origin.url}/sender/hls/{slug}/live.m3u8"
        self.durations: dict[str, float] = {}  # by URI, in playlist order
        self.targets: set[int] = set()
        self.ended = False

    def poll(self) -> None:
        r = httpx.get(self.url, timeout=5)
        if r.status_code != 200:
            return
        pl = parse_media_playlist(r.text)
        self.targets.add(pl.target_duration)
        self.ended = pl.endlist
        for seg in pl.segments:
            self.durations[seg.uri] = seg.duration


def test_still_picture_segments_follow_the_gop(origin: Proc) -> None:
    key = create_endpoint(origin.url, "still")
    watch = PlaylistWatch(origin, "still")
    intervals: set[object] = set()
    # 10x real time: each segment stays in the 6-segment window for over a second, so the
    # poller sees every one of them even on a busy machine
    pub = publish_still(origin, key, 60, gop=60, readrate=10)

    def done() -> bool:
        watch.poll()
        state = stream_status(origin.url, "still")
        if state.get("publisher"):
            intervals.add(state["keyframe_interval_seconds"])
            assert state["warnings"] == []
        return pub.poll() is not None and watch.ended

    try:
        wait_for(done, 120, "the 60 s publish to be packaged", interval=0.05)
    finally:
        stop_publisher(pub)
    assert pub.returncode == 0
    whole = list(watch.durations.values())[:-1]  # the last one ends with the input
    assert len(whole) >= 10, f"saw only {len(whole)} segments"
    assert all(abs(d - 2.0) <= FRAME for d in whole), whole
    assert watch.targets == {2}
    assert intervals <= {None, 2.0} and 2.0 in intervals


def test_long_keyframe_interval_is_reported_once(origin: Proc) -> None:
    key = create_endpoint(origin.url, "longgop")
    pub = publish_still(origin, key, 600, gop=150)  # 5 s keyframe interval
    try:
        state = wait_for(
            lambda: (s := stream_status(origin.url, "longgop"))["warnings"] and s, 60, "a warning"
        )
        assert state["keyframe_interval_seconds"] == 5.0
        [warning] = state["warnings"]
        assert "5 s" in warning and "keyframe interval to 2 s" in warning and "OBS" in warning
        wait_for(lambda: "longgop: keyframe interval is 5 s" in origin.log(), 10, "log line")
    finally:
        stop_publisher(pub)
    assert origin.log().count("longgop: keyframe interval is") == 1

"""The origin is SIGKILLed under a live edge, then comes back on the same data dir and ports."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.edge.helpers import (
    follow_live,
    sequences,
    session,
    start_edge,
    start_live_endpoint,
    wait_state,
)
from tests.procs import Proc, pid_alive, publish, rtmp_url, start_origin, start_role, stop_publisher
from tests.waiting import wait_for

pytestmark = pytest.mark.slow


def _restart(old: Proc) -> Proc:
    """A new origin process with the same data dir, HTTP port, RTMP port and settings."""
    port = int(old.url.rsplit(":", 1)[1])
    new = start_role("origin", old.data_dir, port=port, settings=old.settings, timeout=40)
    new.extra["rtmp_port"] = old.extra["rtmp_port"]
    return new


def _stream_key(origin: Proc, slug: str) -> str:
    r = httpx.post(f"{origin.url}/api/v1/endpoints/{slug}/rotate-key", timeout=10)
    r.raise_for_status()
    return str(r.json()["stream_key"])


def test_edge_serves_its_window_then_follows_the_restarted_origin(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "origin", settings={"reconnect_grace_seconds": 0})
    slug = "phoenix"
    pub = start_live_endpoint(origin, slug)
    edge = start_edge(tmp_path / "edge", origin.url)
    try:
        follow_live(edge, slug, 30)
        ffmpeg_pid = httpx.get(f"{origin.url}/api/v1/streams/{slug}", timeout=5).json()["ffmpeg"][
            "pid"
        ]

        origin.kill()
        stale = wait_state(edge, slug, "stale", 20)
        assert stale["generation"] == 1
        # The edge still answers from its spool while nothing is upstream.
        playlist = httpx.get(f"{edge.url}/sender/hls/{slug}/live.m3u8", timeout=5)
        assert playlist.status_code == 200
        window = sequences(edge.url, slug)
        assert window
        newest = max(window, key=window.__getitem__)
        seg = httpx.get(f"{edge.url}/sender/hls/{slug}/{newest}", timeout=5)
        assert seg.status_code == 200 and seg.content[4:8] == b"moof"  # a CMAF segment
        wait_for(lambda: not pid_alive(ffmpeg_pid), 10, "the dead origin's ffmpeg gone")
        stop_publisher(pub)

        origin = _restart(origin)
        # A rotated key shows the endpoint came back from the database, not from memory.
        pub = publish(rtmp_url(origin, _stream_key(origin, slug)))
        followed = wait_for(
            lambda: (s := session(edge, slug))["generation"] == 2 and s["state"] == "live" and s,
            40,
            "the edge on generation 2 without any API call",
        )
        assert followed["last_error"] in (None, "")
        wait_for(
            lambda: any(uri.startswith("2/") for uri in sequences(edge.url, slug)),
            20,
            "generation 2 segments served by the edge",
        )
        gens = httpx.get(f"{origin.url}/api/v1/endpoints/{slug}/generations", timeout=5).json()
        assert sorted(g["number"] for g in gens) == [1, 2]
    finally:
        edge.stop()
        stop_publisher(pub)
        origin.stop()

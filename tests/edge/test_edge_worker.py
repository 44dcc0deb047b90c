"""A mirror worker against an in-process upstream (a real `httpx.AsyncClient` on a mock
transport): when it looks at the upstream's variants again, and its DVR window."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import httpx

from sender_edge.mirror.follow.worker import REDISCOVER_SECONDS, MirrorWorker
from sender_edge.mirror.playlists.dvr_window import DvrWindows
from sender_edge.mirror.sessions.models import SessionOptions
from tests.edge.helpers import mirror_context

MEDIA = (
    "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n"
    '#EXT-X-MAP:URI="1/src/init0.mp4"\n#EXTINF:1.0,\n1/src/seg0.m4s\n'
)
MASTER = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100000\nlive/src.m3u8\n"


async def rediscover_after(tmp_path: Path, live: str) -> float:
    async def handle(request: httpx.Request) -> httpx.Response:
        rel = request.url.path.removeprefix("/sender/hls/cam/")
        if rel == "live.m3u8":
            return httpx.Response(200, text=live)
        if rel == "live/src.m3u8":
            return httpx.Response(200, text=MEDIA.replace("1/src/", "../1/src/"))
        return httpx.Response(200, content=b"media")

    context = mirror_context(tmp_path)
    options = SessionOptions(upstream_url="http://127.0.0.1:9")
    async with httpx.AsyncClient(transport=httpx.MockTransport(handle)) as client:
        worker = MirrorWorker("cam", options, client=client, context=context)
        worker.start()
        try:
            assert await worker.wait_ready(5)
            return worker.rediscover_after
        finally:
            await worker.stop()


async def test_an_upstream_without_a_master_is_not_rediscovered(tmp_path: Path) -> None:
    assert await rediscover_after(tmp_path, MEDIA) == math.inf


async def test_an_upstream_with_a_master_is_rediscovered_now_and_then(tmp_path: Path) -> None:
    assert await rediscover_after(tmp_path, MASTER) == REDISCOVER_SECONDS


async def test_the_dvr_window_is_the_upstreams_answer_asked_once(tmp_path: Path) -> None:
    asked: list[str] = []

    async def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/v1/playback/"):
            asked.append(request.url.path)
            hls = {"segment_seconds": 2.0, "window_segments": 6}
            answer = {
                "endpoint": "cam",
                "state": "live",
                "generation": 1,
                "live_url": "/sender/hls/cam/live.m3u8",
                "renditions": [],
                "hls": hls,
                "dvr_url": "/sender/hls/cam/dvr.m3u8",
                "dvr_window_seconds": 600,
            }
            return httpx.Response(200, json=answer)
        return httpx.Response(404, json={"detail": "no"})

    context = mirror_context(tmp_path)
    options = SessionOptions(upstream_url="http://127.0.0.1:9")
    windows = DvrWindows()
    async with httpx.AsyncClient(transport=httpx.MockTransport(handle)) as client:
        worker = MirrorWorker("cam", options, client=client, context=context)
        found = await asyncio.gather(*(windows.of(worker) for _ in range(5)))
        assert found == [600.0] * 5 and await windows.of(worker) == 600.0
        assert asked == ["/api/v1/playback/cam"]
    await windows.close()

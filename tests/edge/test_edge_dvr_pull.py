"""The edge's DVR pull-through against an in-process upstream (a real `httpx.AsyncClient` on a
mock transport): long playlists, shared fetches, remembered misses."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry

from sender_common.hls.dvr import DvrEntry, render_dvr
from sender_common.hls.spoolcache import SpoolCache
from sender_edge.metrics import EdgeMetrics
from sender_edge.mirror.dvr import DvrPullThrough
from sender_edge.mirror.fetch import MAX_PLAYLIST_BYTES, EndpointSource, hls_root

ROOT = hls_root("http://up.test", "cam")


class Upstream:
    def __init__(self, body: bytes) -> None:
        self.body = body
        self.asked: Counter[str] = Counter()
        self.files: dict[str, bytes] = {}

    async def handle(self, request: httpx.Request) -> httpx.Response:
        rel = request.url.path.removeprefix("/sender/hls/cam/")
        self.asked[rel] += 1
        await asyncio.sleep(0)  # let concurrent callers meet
        if rel == "dvr.m3u8":
            return httpx.Response(200, content=self.body)
        if rel in self.files:
            return httpx.Response(200, content=self.files[rel])
        return httpx.Response(404, json={"detail": "not found"})


def dvr_body(seconds: int, segment: float = 2.0) -> bytes:
    entries = [
        DvrEntry(i, f"1/src/seg{i}.m4s", "1/src/init0.mp4", segment, 1.7e9 + i * segment, 1, False)
        for i in range(int(seconds / segment))
    ]
    return render_dvr(entries, ended=False, trimmed=True).encode()


def pull_through(tmp_path: Path) -> DvrPullThrough:
    return DvrPullThrough(
        cache=SpoolCache(tmp_path),
        spool_dir=tmp_path,
        metrics=EdgeMetrics(CollectorRegistry()),
        retention_seconds=3600,
        slots=asyncio.Semaphore(4),
    )


async def test_a_dvr_playlist_of_many_hours_is_served(tmp_path: Path) -> None:
    body = dvr_body(8 * 3600)  # 8 h of 2 s segments
    assert len(body) > MAX_PLAYLIST_BYTES
    up = Upstream(body)
    dvr = pull_through(tmp_path)
    async with httpx.AsyncClient(transport=httpx.MockTransport(up.handle)) as client:
        assert await dvr.playlist(EndpointSource(client, ROOT), "cam", "dvr.m3u8") == body
    await dvr.close()

"""The edge's DVR pull-through against an in-process upstream (a real `httpx.AsyncClient` on a
mock transport): long playlists, shared fetches, remembered misses."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from sender_common.hls.playlist.dvr_playlist import DvrEntry, render_dvr
from sender_edge.mirror.playlists.dvr_pull import DvrPullThrough
from sender_edge.mirror.upstream.fetch import MAX_PLAYLIST_BYTES, EndpointSource, hls_root
from tests.edge.helpers import mirror_context

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
    return render_dvr(entries, ended=False).encode()


def pull_through(tmp_path: Path) -> DvrPullThrough:
    return DvrPullThrough(mirror_context(tmp_path, spool_dir=tmp_path))


@contextlib.asynccontextmanager
async def pulling(
    up: Upstream, tmp_path: Path
) -> AsyncIterator[tuple[DvrPullThrough, EndpointSource]]:
    """A DVR pull-through and `up` as a session's upstream (both closed afterwards)."""
    dvr = pull_through(tmp_path)
    try:
        async with httpx.AsyncClient(transport=httpx.MockTransport(up.handle)) as client:
            yield dvr, EndpointSource(client, ROOT)
    finally:
        await dvr.close()


def with_segment(rel: str) -> Upstream:
    """An upstream with a minute of DVR that has the file `rel` (and nothing else)."""
    up = Upstream(dvr_body(60))
    up.files[rel] = b"media"
    return up


async def test_a_dvr_playlist_of_many_hours_is_served(tmp_path: Path) -> None:
    body = dvr_body(8 * 3600)  # 8 h of 2 s segments
    assert len(body) > MAX_PLAYLIST_BYTES
    async with pulling(Upstream(body), tmp_path) as (dvr, source):
        assert await dvr.playlist(source, "cam", "dvr.m3u8") == body


async def test_a_file_the_upstream_lacks_is_not_asked_for_again_at_once(tmp_path: Path) -> None:
    up = with_segment("1/src/seg3.m4s")
    async with pulling(up, tmp_path) as (dvr, source):
        for _ in range(3):
            assert await dvr.file(source, "cam", "1/src/seg999.m4s") is None
        assert up.asked["1/src/seg999.m4s"] == 1
        found = await dvr.file(source, "cam", "1/src/seg3.m4s")
        assert found is not None and found.body == b"media"
        assert (tmp_path / "cam/1/src/seg3.m4s").read_bytes() == b"media"


async def test_concurrent_requests_of_a_file_share_one_fetch(tmp_path: Path) -> None:
    up = with_segment("1/src/seg3.m4s")
    async with pulling(up, tmp_path) as (dvr, source):
        found = await asyncio.gather(
            *(dvr.file(source, "cam", "1/src/seg3.m4s") for _ in range(10))
        )
        assert all(f is not None and f.body == b"media" for f in found)
        assert up.asked["1/src/seg3.m4s"] == 1

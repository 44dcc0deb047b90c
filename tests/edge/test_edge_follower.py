"""The follower against an in-process LL-HLS upstream built from the shared `LivePlaylist`
(blocking reloads and the hinted part answered as the origin answers them), through a real
`httpx.AsyncClient` on a mock transport: what it asks, what it fetches, what it keeps."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from sender_common.hls.playlist.live import LivePlaylist
from sender_common.hls.playlist.partstore import PartStore
from sender_common.hls.playlist.render import render_live
from sender_common.hls.playlist.segments import Part
from sender_common.hls.serve.request import blocking_of
from sender_edge.mirror.follow.follower import Follower, Hooks
from sender_edge.mirror.upstream.downloader import Downloader, Tally
from sender_edge.mirror.upstream.fetch import UnsafeSegmentUri, hls_root
from tests.edge.helpers import mirror_context
from tests.waiting import wait_for_async

ROOT = hls_root("http://up.test", "cam")


class Upstream:
    """A tiny LL-HLS server over one `LivePlaylist`, counting what it is asked."""

    def __init__(self, first_msn: int = 100) -> None:
        self.store = PartStore()
        self.pl = LivePlaylist(
            window=6, segment_target=1, part_target=0.5, first_msn=first_msn, store=self.store
        )
        self.files: dict[str, bytes] = {}
        self.asked: Counter[str] = Counter()
        self.queries: list[str] = []
        self.blocked = 0  # playlist requests waiting right now for what they asked
        self.n = 0

    async def handle(self, request: httpx.Request) -> httpx.Response:
        rel = request.url.path.removeprefix("/sender/hls/cam/")
        self.asked[rel] += 1
        if rel == "live.m3u8":
            self.queries.append(request.url.query.decode())
            block = blocking_of(request.url.query)
            if block is not None:
                if self.pl.too_far(block.msn):
                    return httpx.Response(400, json={"detail": "too far"})
                self.blocked += 1
                try:
                    await self.pl.wait(block.msn, block.part, 3)
                finally:
                    self.blocked -= 1
            return httpx.Response(200, text=render_live(self.pl))
        part = self.store.get(rel) or (
            await self.store.wait(rel, 3) if self.store.hinted(rel) else None
        )
        if part is not None:
            return httpx.Response(200, content=part.body)
        if rel in self.files:
            return httpx.Response(200, content=self.files[rel])
        return httpx.Response(404, json={"detail": "not found"})

    def part(self, independent: bool = False) -> str:
        uri = f"1/src/part{self.n}.m4s"
        self.pl.add_part(Part(uri, 0.5, independent), f"<{uri}>".encode())
        self.n += 1
        self.pl.set_hint(f"1/src/part{self.n}.m4s")
        return uri

    def segment(self) -> str:
        uri = f"1/src/seg{self.pl.next_msn}.m4s"
        self.files[uri] = b"".join(f"<{p.uri}>".encode() for p in self.pl.parts)
        self.pl.close_segment(uri, 1.0)
        return uri

    def start(self, segments: int) -> None:
        self.files["1/src/init0.mp4"] = b"init"
        self.pl.set_map("1/src/init0.mp4", discontinuity=True)
        for _ in range(segments):
            self.part(True)
            self.part()
            self.segment()
        self.part(True)


@pytest.fixture
async def upstream() -> Upstream:
    up = Upstream()
    up.start(3)
    return up


@contextlib.asynccontextmanager
async def following(
    up: Upstream, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Follower]]:
    """A follower of `up` and the client it fetches with (closed afterwards)."""
    async with httpx.AsyncClient(transport=httpx.MockTransport(up.handle)) as client:
        yield client, follower_for(up, tmp_path, client)


def follower_for(up: Upstream, tmp_path: Path, client: httpx.AsyncClient) -> Follower:
    context = mirror_context(tmp_path, spool_dir=tmp_path)
    dl = Downloader("cam", context, client=client, tally=Tally(), timeout=5)
    pl = LivePlaylist(window=6, segment_target=1, part_target=0.5, store=PartStore())
    hooks = Hooks(lambda: None, lambda: None, lambda exc: 0.0, lambda path: True)
    return Follower(
        "",
        ROOT + "live.m3u8",
        root=ROOT,
        playlist=pl,
        downloader=dl,
        window=6,
        hooks=hooks,
    )


async def test_follows_parts_with_blocking_reloads_and_the_hint(
    upstream: Upstream, tmp_path: Path
) -> None:
    async with following(upstream, tmp_path) as (_client, f):
        assert await f.step()
        pl = f.playlist
        assert f.low_latency and [s.msn for s in pl.segments] == [100, 101, 102]
        assert pl.map_uri == "1/src/init0.mp4" and (tmp_path / "cam/1/src/init0.mp4").exists()
        assert [p.uri for p in pl.parts] == ["1/src/part6.m4s"] and pl.hint == "1/src/part7.m4s"
        assert upstream.queries == [""]  # the first reload is a plain one

        step = asyncio.create_task(f.step())  # blocks upstream for the next part
        await wait_for_async(lambda: upstream.blocked == 1, 2, "the blocking reload upstream")
        assert not step.done()
        assert upstream.queries[-1] == "_HLS_msn=103&_HLS_part=1"
        upstream.part()  # part7, the hinted one
        assert await asyncio.wait_for(step, 2)
        assert [p.uri for p in pl.parts] == ["1/src/part6.m4s", "1/src/part7.m4s"]
        assert upstream.asked["1/src/part7.m4s"] == 1  # the hinted request, nothing more
        assert render_live(f.playlist) == render_live(
            upstream.pl
        )  # the same playlist, line by line

        step = asyncio.create_task(f.step())
        await wait_for_async(lambda: upstream.blocked == 1, 2, "the next blocking reload")
        assert upstream.queries[-1] == "_HLS_msn=103&_HLS_part=2"
        seg = upstream.segment()
        upstream.part(True)
        assert await asyncio.wait_for(step, 2)
        assert pl.segments[-1].uri == seg and pl.segments[-1].parts
        # a finished segment is its parts back to back: written without asking upstream
        assert upstream.asked[seg] == 0
        assert (tmp_path / "cam" / seg).read_bytes() == upstream.files[seg]
        await f.close()


async def test_an_upstream_restarted_lower_starts_the_window_afresh(
    upstream: Upstream, tmp_path: Path
) -> None:
    async with following(upstream, tmp_path) as (client, f):
        await f.step()
        restarted = Upstream(first_msn=10)
        restarted.start(2)
        client._transport = httpx.MockTransport(restarted.handle)
        assert await f.step()  # 400 for our position, then a plain reload
        assert restarted.queries == ["_HLS_msn=103&_HLS_part=1", ""]
        assert [s.msn for s in f.playlist.segments] == [10, 11]
        assert render_live(f.playlist) == render_live(restarted.pl)
        await f.close()


async def test_uris_outside_the_endpoint_are_refused(upstream: Upstream, tmp_path: Path) -> None:
    upstream.pl.add_part(Part("../other/1/src/x.m4s", 0.5, False), b"x")
    async with following(upstream, tmp_path) as (_client, f):
        with pytest.raises(UnsafeSegmentUri):
            await f.step()
        assert not f.started


async def test_an_ended_playlist_is_reloaded_a_target_apart(
    upstream: Upstream, tmp_path: Path
) -> None:
    async with following(upstream, tmp_path) as (_client, f):
        await f.step()
        assert f.low_latency and f.pause(True) == 0.0 and f.pause(False) == 0.5
        upstream.pl.end()
        assert await f.step() and f.playlist.ended
        # no more part-target polling of a playlist only a restart can change
        assert f.pause(True) >= 1.0 and f.pause(False) >= 1.0
        await f.close()


PLAIN = (
    "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:5\n"
    '#EXT-X-MAP:URI="1/src/init0.mp4"\n'
    + "".join(f"#EXTINF:1.0,\n1/src/seg{n}.m4s\n" for n in (5, 6, 7))
)


@pytest.mark.parametrize("status", [404, 503])
async def test_a_failed_catch_up_segment_is_fetched_once(status: int, tmp_path: Path) -> None:
    asked: Counter[str] = Counter()

    async def handle(request: httpx.Request) -> httpx.Response:
        rel = request.url.path.removeprefix("/sender/hls/cam/")
        asked[rel] += 1
        if rel == "live.m3u8":
            return httpx.Response(200, text=PLAIN)
        if rel == "1/src/seg6.m4s":
            return httpx.Response(status, json={"detail": "no"})
        return httpx.Response(200, content=rel.encode())

    async with httpx.AsyncClient(transport=httpx.MockTransport(handle)) as client:
        f = follower_for(Upstream(), tmp_path, client)
        if status == 404:  # gone upstream: skipped
            assert await f.step()
            assert [s.msn for s in f.playlist.segments] == [7]
        else:  # the stored error, not a second round of attempts
            with pytest.raises(httpx.HTTPStatusError):
                await f.step()
        attempts = 1 if status == 404 else 3  # get_bytes retries a 5xx, not a 404
        assert asked["1/src/seg6.m4s"] == attempts
        await f.close()

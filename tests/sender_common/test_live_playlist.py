"""The LL-HLS playlist model, the part store and blocking reloads through the HLS app."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from sender_common.hls.playlist.live import LivePlaylist
from sender_common.hls.playlist.partstore import PartStore
from sender_common.hls.playlist.render import render_live
from sender_common.hls.playlist.segments import Part, RenditionReport
from sender_common.hls.serve.app import HlsApp
from sender_common.hls.serve.request import Blocking, BlockingRequestError, blocking_of
from sender_common.hls.serve.spoolcache import CachedFile, SpoolCache
from tests.waiting import wait_for_async


class WatchedPartStore(PartStore):
    """A `PartStore` that counts the requests waiting in it for a part right now."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = 0

    async def wait(self, rel: str, timeout: float) -> CachedFile | None:
        self.waiting += 1
        try:
            return await super().wait(rel, timeout)
        finally:
            self.waiting -= 1


def _pl(store: PartStore | None = None, window: int = 3) -> LivePlaylist:
    return LivePlaylist(
        window=window,
        segment_target=2.0,
        part_target=0.5,
        first_msn=100,
        store=store,
        store_prefix="ep/",
    )


def _fill(pl: LivePlaylist, segments: int, parts: int = 4) -> None:
    for _ in range(segments):
        for i in range(parts):
            uri = f"1/src/part{pl.part_seq}.m4s"
            pl.add_part(Part(uri, 0.5, i == 0), b"x" * 10, pdt=1_700_000_000.0)
        pl.close_segment(f"1/src/seg{pl.next_msn}.m4s", 2.0)


def test_render_lists_parts_hint_map_and_server_control() -> None:
    pl = _pl()
    pl.set_map("1/src/init100.mp4", discontinuity=True)
    _fill(pl, 2)
    pl.add_part(Part("1/src/part8.m4s", 0.5, True), b"p")
    pl.set_hint("1/src/part9.m4s")
    text = render_live(pl, "", reports=[RenditionReport("low.m3u8", 102, 0)])
    lines = text.splitlines()
    assert "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.5" in lines
    assert "#EXT-X-PART-INF:PART-TARGET=0.5" in lines
    assert "#EXT-X-MEDIA-SEQUENCE:100" in lines
    assert lines.count('#EXT-X-MAP:URI="1/src/init100.mp4"') == 1
    assert '#EXT-X-PART:DURATION=0.50000,URI="1/src/part0.m4s",INDEPENDENT=YES' in lines
    assert '#EXT-X-PART:DURATION=0.50000,URI="1/src/part8.m4s",INDEPENDENT=YES' in lines
    assert lines[-2] == '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="1/src/part9.m4s"'
    assert lines[-1] == '#EXT-X-RENDITION-REPORT:URI="low.m3u8",LAST-MSN=102,LAST-PART=0'
    assert (pl.last_msn, pl.last_part) == (102, 0)
    plain = render_live(pl, "../", low_latency=False)
    assert "#EXT-X-PART" not in plain and "PRELOAD-HINT" not in plain
    assert "SERVER-CONTROL" not in plain and '#EXT-X-MAP:URI="../1/src/init100.mp4"' in plain


def test_window_slides_parts_age_out_and_discontinuities_are_counted() -> None:
    store = PartStore()
    pl = _pl(store, window=4)
    pl.set_map("1/src/init100.mp4", discontinuity=True)
    _fill(pl, 1)
    pl.set_map("2/src/init101.mp4", discontinuity=True)  # a new generation or ffmpeg run
    _fill(pl, 4)
    text = render_live(pl)
    assert "#EXT-X-MEDIA-SEQUENCE:101" in text
    # the break left the window with its first segment: counted, not listed
    assert "#EXT-X-DISCONTINUITY-SEQUENCE:1" in text and "#EXT-X-DISCONTINUITY\n" not in text
    assert '#EXT-X-MAP:URI="2/src/init101.mp4"' in text and "init100" not in text
    # parts only for the newest segments; the others' bytes are gone from the store
    assert store.get("ep/1/src/part0.m4s") is None
    assert store.get("ep/1/src/part19.m4s") is not None
    assert pl.segments[0].parts == [] and pl.segments[-1].parts


async def test_rendered_once_per_change_and_a_new_hint_is_a_change() -> None:
    pl = _pl()
    _fill(pl, 1)
    pl.add_part(Part(f"1/src/part{pl.part_seq}.m4s", 0.5, True), b"x", pdt=1_700_000_002.0)
    first = pl.render_bytes("/p/")
    assert pl.render_bytes("/p/") is first  # the same change: the same body, not made again
    assert pl.render_bytes("/p/") == render_live(pl, "/p/").encode()
    pl.set_hint(f"1/src/part{pl.part_seq}.m4s")  # a producer names the next part after waking
    hinted = pl.render_bytes("/p/")
    assert f'PRELOAD-HINT:TYPE=PART,URI="/p/1/src/part{pl.part_seq}.m4s"' in hinted.decode()
    reports = [RenditionReport("b.m3u8", 100, 0)]
    assert b"RENDITION-REPORT" in pl.render_bytes("/p/", reports=reports)
    assert b"RENDITION-REPORT" not in pl.render_bytes("/p/")


def test_target_duration_covers_long_segments_and_never_shrinks() -> None:
    pl = _pl()
    pl.add_part(Part("a.m4s", 0.5, True))
    pl.close_segment("s1.m4s", 4.4)
    _fill(pl, 1)
    assert "#EXT-X-TARGETDURATION:4" in render_live(pl)


def test_blocking_wait_is_one_wakeup_for_all() -> None:
    async def run() -> None:
        pl = _pl()
        _fill(pl, 1)
        blocked = 0

        async def counted(msn: int, part: int | None) -> bool:
            nonlocal blocked
            blocked += 1
            try:
                return await pl.wait(msn, part, 5)
            finally:
                blocked -= 1

        waiters = [asyncio.create_task(counted(101, 1)) for _ in range(500)]
        late = asyncio.create_task(counted(102, None))
        await wait_for_async(lambda: blocked == 501, 5, "every waiter blocked")
        assert not any(w.done() for w in waiters)
        pl.add_part(Part("p4.m4s", 0.5, True))
        await asyncio.sleep(0)  # one loop turn: every woken waiter checks again (no timing)
        assert not any(w.done() for w in waiters)  # part 0 is not part 1
        pl.add_part(Part("p5.m4s", 0.5, False))
        assert all(await asyncio.gather(*waiters))
        assert not late.done()
        assert await pl.wait(102, None, 0.01) is False  # a timeout, not an error
        pl.end()
        assert await late  # an ended playlist releases everyone
        assert pl.satisfied(100, 3) and not pl.too_far(102) and pl.too_far(103)

    asyncio.run(run())


def test_hinted_part_waits_until_put_or_withdrawn() -> None:
    async def run() -> None:
        store = WatchedPartStore()
        store.hint("ep/1/src/part7.m4s")
        waiting = asyncio.create_task(store.wait("ep/1/src/part7.m4s", 5))
        await wait_for_async(lambda: store.waiting == 1, 5, "the part request blocked")
        assert not waiting.done()
        store.put("ep/1/src/part7.m4s", b"bytes")
        got = await waiting
        assert got is not None and got.body == b"bytes" and got.immutable
        store.hint("ep/1/src/part8.m4s")
        gone = asyncio.create_task(store.wait("ep/1/src/part8.m4s", 5))
        await wait_for_async(lambda: store.waiting == 1, 5, "the next part request blocked")
        store.close()
        assert await gone is None
        assert await store.wait("ep/1/src/nothing.m4s", 5) is None

    asyncio.run(run())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"", None),
        (b"vsid=abcdefgh12", None),
        (b"_HLS_msn=12", Blocking(12)),
        (b"_HLS_msn=12&_HLS_part=3&vsid=abcdefgh12", Blocking(12, 3)),
        (b"_HLS_msn=5&_HLS_skip=YES", Blocking(5, None, True)),
    ],
)
def test_blocking_query_parsed(query: bytes, expected: Blocking | None) -> None:
    assert blocking_of(query) == expected


@pytest.mark.parametrize(
    "query",
    [
        b"_HLS_msn=-1",
        b"_HLS_msn=x",
        b"_HLS_msn=1.5",
        b"_HLS_msn=99999999999999999999",
        b"_HLS_part=1",
        b"_HLS_msn=3&_HLS_part=-2",
        b"_HLS_msn=3&_HLS_part=100000",
        b"_HLS_msn=3&_HLS_msn=4",
    ],
)
def test_bad_blocking_queries_refused(query: bytes) -> None:
    with pytest.raises(BlockingRequestError):
        blocking_of(query)


def test_hls_app_blocks_reload_and_hinted_part(tmp_path: Path) -> None:
    """Through the ASGI app: a blocked reload and a hinted-part request both wait, then
    return what arrived; bad directives are 400 with a JSON body; unknown parts 404."""

    async def run() -> None:
        store = WatchedPartStore()
        pl = _pl(store)
        _fill(pl, 1)
        pl.set_hint("1/src/part4.m4s")
        reloads_waiting = 0

        async def live(endpoint: str, name: str, block: Blocking | None) -> bytes | None:
            nonlocal reloads_waiting
            if block is not None:
                if pl.too_far(block.msn):
                    raise BlockingRequestError("too far")
                reloads_waiting += 1
                try:
                    await pl.wait(block.msn, block.part, 5)
                finally:
                    reloads_waiting -= 1
            return render_live(pl).encode()

        app = HlsApp(SpoolCache(tmp_path), live=live, parts=store, part_wait=5)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            reload = asyncio.create_task(client.get("/ep/live.m3u8?_HLS_msn=101&_HLS_part=0"))
            part = asyncio.create_task(client.get("/ep/1/src/part4.m4s"))
            await wait_for_async(
                lambda: reloads_waiting == 1 and store.waiting == 1,
                5,
                "the reload and the part request both blocked",
            )
            assert not reload.done() and not part.done()
            pl.add_part(Part("1/src/part4.m4s", 0.5, True), b"fresh part")
            r, p = await reload, await part
            assert r.status_code == 200 and "1/src/part4.m4s" in r.text
            assert p.status_code == 200 and p.content == b"fresh part"
            bad = await client.get("/ep/live.m3u8?_HLS_msn=abc")
            assert bad.status_code == 400 and "detail" in bad.json()
            far = await client.get("/ep/live.m3u8?_HLS_msn=900")
            assert far.status_code == 400
            missing = await client.get("/ep/1/src/part999.m4s")
            assert missing.status_code == 404

    asyncio.run(run())


def test_only_the_newest_segments_keep_parts_as_the_window_slides() -> None:
    store = PartStore()
    pl = _pl(store, window=6)
    for _ in range(9):
        _fill(pl, 1)
        with_parts = [len(s.parts) for s in pl.segments]
        kept = min(len(pl.segments), 3)
        assert with_parts == [0] * (len(pl.segments) - kept) + [4] * kept
    # the parts of every segment but the newest three are gone from the store (4 per segment)
    assert [store.get(f"ep/1/src/part{i}.m4s") is not None for i in range(0, 36, 4)] == [
        False, False, False, False, False, False, True, True, True,
    ]  # fmt: skip

"""The HLS serving protocol (hls/http.py) over real sockets: answers, waits, pipelining,
bad and hostile clients, and the ASGI routes beside it on the same port."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from sender_common.hls.lowlatency import LivePlaylist, Part
from sender_common.hls.parts import PartStore
from sender_common.hls.serving import Blocking, HlsApp, LiveAnswer
from sender_common.hls.spoolcache import SpoolCache
from tests.sender_common.hls_server import Raw, serving


def _live_app(tmp_path: Path) -> tuple[HlsApp, LivePlaylist, PartStore]:
    store = PartStore()
    pl = LivePlaylist(
        window=3, segment_target=2.0, part_target=0.5, store=store, store_prefix="ep/"
    )
    pl.set_map("1/src/init0.mp4", discontinuity=True)
    for i in range(2):
        pl.add_part(Part(f"1/src/part{pl.part_seq}.m4s", 0.5, i == 0), b"p" * 100)
    pl.set_hint(f"1/src/part{pl.part_seq}.m4s")

    def now(endpoint: str, name: str, block: Blocking | None) -> LiveAnswer:
        if endpoint != "ep" or name != "live.m3u8":
            return None
        if block is not None and not pl.satisfied(block.msn, block.part):
            return pl.waiting(block.msn, block.part, 5, pl.render_bytes)
        return pl.render_bytes()

    async def slow(endpoint: str, name: str, block: Blocking | None) -> bytes | None:
        found = now(endpoint, name, block)
        assert not isinstance(found, bytes | None)
        return None

    (tmp_path / "ep" / "1" / "src").mkdir(parents=True)
    (tmp_path / "ep" / "1" / "src" / "seg0.m4s").write_bytes(bytes(range(256)) * 40)
    app = HlsApp(SpoolCache(tmp_path), live=slow, live_now=now, parts=store, part_wait=5)
    return app, pl, store


async def test_hinted_part_and_blocking_reload_answered_on_arrival(tmp_path: Path) -> None:
    app, pl, _ = _live_app(tmp_path)
    async with serving(app) as port, httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
        hinted = asyncio.create_task(c.get("/sender/hls/ep/1/src/part2.m4s"))
        reload = asyncio.create_task(c.get("/sender/hls/ep/live.m3u8?_HLS_msn=0&_HLS_part=2"))
        await asyncio.sleep(0)
        assert not hinted.done() and not reload.done()
        pl.add_part(Part("1/src/part2.m4s", 0.5, False), b"new part")
        got = await hinted
        assert got.status_code == 200 and got.content == b"new part"
        listed = await reload
        assert listed.status_code == 200 and "part2.m4s" in listed.text

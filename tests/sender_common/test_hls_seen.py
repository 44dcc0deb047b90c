"""Request heads the serving path has seen before (hls/serve/protocol.py): the same bytes get
the same answer without being parsed again, and only while that answer is a file there now."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sender_common.hls.playlist.segments import Part
from sender_common.hls.serve.app import HlsHit
from tests.sender_common.hls_server import Raw, live_app, serving
from tests.waiting import wait_for_async

PART = b"GET /sender/hls/ep/1/src/part0.m4s HTTP/1.1\r\nHost: x\r\nUser-Agent: player/1\r\n\r\n"
SEGMENT = b"GET /sender/hls/ep/1/src/seg0.m4s HTTP/1.1\r\nHost: x\r\n\r\n"
RELOAD = b"GET /sender/hls/ep/live.m3u8?_HLS_msn=0&_HLS_part=2&vsid=abcdefgh HTTP/1.1\r\n\r\n"


async def test_the_same_head_gets_the_same_answer_and_is_counted(tmp_path: Path) -> None:
    hits: list[HlsHit] = []
    media: list[tuple[str, int, bytes]] = []
    app, _, _ = live_app(tmp_path, observer=hits.append)
    app.count_media = lambda ep, client, headers, n: media.append((ep, n, dict(headers)[b"host"]))
    async with serving(app) as port:
        first, second = await Raw.open(port), await Raw.open(port)
        await first.send(PART)
        answer = await first.response()
        assert PART in app.seen  # parsed once, remembered by its bytes
        await second.send(PART)
        again = await second.response()
        await second.send(PART)  # and again on the same connection
        assert await second.response() == again
        assert again[0] == answer[0] == 200 and again[2] == answer[2] == b"p" * 100
        assert {k: v for k, v in again[1].items() if k != "date"} == {
            k: v for k, v in answer[1].items() if k != "date"
        }
        assert media == [("ep", 100, b"x")] * 3 and hits == []  # every answer counted
        await first.send(SEGMENT)
        assert (await first.response())[0] == 200
        (tmp_path / "ep" / "1" / "src" / "seg0.m4s").unlink()
        app.cache.forget("ep/1/src/seg0.m4s")
        await second.send(SEGMENT)  # seen, but its file is gone: parsed and answered 404
        status, headers, body = await second.response()
        assert status == 404 and headers["content-type"] == "application/json"
        assert body == b'{"detail": "not found"}'
        first.close()
        second.close()


async def test_a_seen_reload_still_waits_and_keeps_its_place_in_line(tmp_path: Path) -> None:
    hits: list[HlsHit] = []
    app, pl, _ = live_app(tmp_path, observer=hits.append)
    async with serving(app) as port:
        first, second = await Raw.open(port), await Raw.open(port)
        await first.send(PART)
        await first.response()
        await first.send(RELOAD)
        await wait_for_async(lambda: pl.listeners == 1, 5, "the reload waiting")
        assert RELOAD in app.seen
        await second.send(RELOAD)  # seen, but its answer is not there yet: it waits too
        await wait_for_async(lambda: pl.listeners == 2, 5, "the seen reload waiting")
        await first.send(PART)  # a seen head behind a waiting reload waits its turn
        pl.add_part(Part("1/src/part2.m4s", 0.5, False), b"new part")
        for raw in (first, second):
            status, _, body = await raw.response()
            assert status == 200 and b"part2.m4s" in body
        assert (await first.response())[2] == b"p" * 100
        third = await Raw.open(port)
        await third.send(RELOAD)  # satisfied now: answered from what was seen
        status, _, body = await third.response()
        assert status == 200 and b"part2.m4s" in body
        await wait_for_async(lambda: len([h for h in hits if h.is_playlist]) == 3, 5, "counted")
        assert {h.vsid for h in hits if h.is_playlist} == {"abcdefgh"}
        for raw in (first, second, third):
            raw.close()


async def test_only_whole_plain_heads_are_remembered(tmp_path: Path) -> None:
    app, _, _ = live_app(tmp_path)
    async with serving(app) as port:
        raw = await Raw.open(port)
        ranged = PART.replace(b"\r\n\r\n", b"\r\nRange: bytes=0-9\r\n\r\n")
        closing = PART.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
        for _ in range(2):  # twice: a second answer is not one remembered
            await raw.send(ranged)
            status, _, body = await raw.response()
            assert status == 206 and body == b"p" * 10
        await raw.send(PART + PART)  # two heads in one chunk: answered, not remembered
        assert [(await raw.response())[0] for _ in range(2)] == [200, 200]
        await raw.send(PART.replace(b"GET", b"HEAD"))
        head = await asyncio.wait_for(raw.reader.readuntil(b"\r\n\r\n"), 5)  # no body
        assert head.startswith(b"HTTP/1.1 200 ")
        await raw.send(b"GET /sender/hls/ep/../x HTTP/1.1\r\n\r\n")
        assert (await raw.response())[0] == 400
        await raw.send(closing)
        assert (await raw.response())[0] == 200
        assert await raw.closed()
        assert app.seen == {}

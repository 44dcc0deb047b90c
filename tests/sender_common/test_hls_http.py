"""The HLS serving protocol (hls/serve/protocol.py) over real sockets: answers, waits, pipelining,
bad and hostile clients, and the ASGI routes beside it on the same port."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from sender_common.hls.playlist.live import LiveWait, live_changes
from sender_common.hls.playlist.segments import Part
from sender_common.hls.serve.app import HlsHit
from sender_common.hls.serve.request import Blocking, LiveAnswer, parsed_request
from sender_common.hls.serve.spoolcache import CachedFile
from tests.sender_common.hls_server import Raw, app_with, live_app, serving
from tests.waiting import wait_for_async


async def test_live_playlists_reused_until_a_change_and_every_release_counted(
    tmp_path: Path,
) -> None:
    hits: list[HlsHit] = []
    new_part = b'#EXT-X-PART:DURATION=0.50000,URI="1/src/part2.m4s"'
    app, pl, _ = live_app(tmp_path, live_changes, hits.append)
    async with serving(app) as port, httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
        first = await c.get("/sender/hls/ep/live.m3u8")
        again = await c.get("/sender/hls/ep/live.m3u8")
        assert first.content == again.content and new_part not in first.content
        waiting = [await Raw.open(port) for _ in range(20)]
        for i, raw in enumerate(waiting):
            query = f"_HLS_msn=0&_HLS_part=2&vsid=v{i:08d}"
            await raw.send(f"GET /sender/hls/ep/live.m3u8?{query} HTTP/1.1\r\n\r\n".encode())
        await wait_for_async(lambda: pl.listeners == 20, 5, "the reloads waiting")
        pl.add_part(Part("1/src/part2.m4s", 0.5, False), b"new part")
        for raw in waiting:
            status, _, body = await raw.response()
            assert status == 200 and new_part in body
        after = await c.get("/sender/hls/ep/live.m3u8")  # the change ended the reuse
        assert new_part in after.content
        await wait_for_async(lambda: len(hits) == 23, 5, "every answer counted")
        assert sorted(h.vsid for h in hits if h.vsid) == [f"v{i:08d}" for i in range(20)]
        assert all(h.is_playlist and h.status == 200 for h in hits)


async def test_a_waiting_reload_is_resolved_once_per_change(tmp_path: Path) -> None:
    app, pl, _ = live_app(tmp_path, live_changes)
    assert app.live_now is not None
    resolved = app.live_now
    calls: list[str] = []

    def counting(endpoint: str, name: str, block: Blocking | None) -> LiveAnswer:
        calls.append(name)
        return resolved(endpoint, name, block)

    app.live_now = counting
    req = parsed_request("ep/live.m3u8", b"_HLS_msn=0&_HLS_part=3")
    assert req is not None
    first = app.find_now(req)
    assert isinstance(first, LiveWait) and not first.ready()
    assert app.find_now(req) is first and len(calls) == 1  # every waiting viewer shares it
    pl.add_part(Part("1/src/part2.m4s", 0.5, False), b"new part")
    after = app.find_now(req)
    assert isinstance(after, LiveWait) and after is not first and len(calls) == 2
    pl.add_part(Part("1/src/part3.m4s", 0.5, False), b"newer part")
    answered = app.find_now(req)
    assert isinstance(answered, CachedFile) and b"part3.m4s" in answered.body


async def test_hinted_part_and_blocking_reload_answered_on_arrival(tmp_path: Path) -> None:
    app, pl, store = live_app(tmp_path)
    async with serving(app) as port, httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
        hinted = asyncio.create_task(c.get("/sender/hls/ep/1/src/part2.m4s"))
        reload = asyncio.create_task(c.get("/sender/hls/ep/live.m3u8?_HLS_msn=0&_HLS_part=2"))
        await wait_for_async(lambda: pl.listeners == 1, 5, "the reload waiting")
        future = store.future("ep/1/src/part2.m4s")
        assert future is not None
        await wait_for_async(lambda: len(future._callbacks or ()) > 0, 5, "the part waited for")
        assert not hinted.done() and not reload.done()
        pl.add_part(Part("1/src/part2.m4s", 0.5, False), b"new part")
        got = await hinted
        assert got.status_code == 200 and got.content == b"new part"
        listed = await reload
        assert listed.status_code == 200 and "part2.m4s" in listed.text


async def test_pipelined_requests_answered_in_order_behind_a_blocked_reload(
    tmp_path: Path,
) -> None:
    app, pl, _ = live_app(tmp_path)
    async with serving(app) as port:
        raw = await Raw.open(port)
        await raw.send(
            b"GET /sender/hls/ep/live.m3u8?_HLS_msn=0&_HLS_part=2 HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /sender/hls/ep/1/src/part0.m4s HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /api/ping HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /sender/hls/ep/1/src/seg0.m4s HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        first = asyncio.create_task(raw.response())
        await wait_for_async(lambda: pl.listeners == 1, 5, "the reload waiting")
        assert not first.done()  # the reload blocks, and everything behind it waits
        pl.add_part(Part("1/src/part2.m4s", 0.5, False), b"new part")
        status, _, body = await first
        assert status == 200 and b"part2.m4s" in body
        assert (await raw.response())[2] == b"p" * 100
        assert (await raw.response())[2] == b'{"pong":"yes"}'
        status, headers, body = await raw.response()
        assert status == 200 and len(body) == 256 * 40
        assert headers["cache-control"] == "public, max-age=31536000, immutable"
        raw.close()


async def test_asgi_routes_with_bodies_share_the_connection(tmp_path: Path) -> None:
    app, _, _ = live_app(tmp_path)
    async with serving(app) as port, httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
        for _ in range(3):
            got = await c.post("/api/echo", json={"a": "b"})
            assert got.json() == {"a": "b"}
            assert (await c.get("/sender/hls/ep/1/src/part0.m4s")).content == b"p" * 100
        assert (await c.get("/api/missing")).status_code == 404


async def test_ranges_conditionals_head_and_options(tmp_path: Path) -> None:
    app, _, _ = live_app(tmp_path)
    async with serving(app) as port, httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
        url = "/sender/hls/ep/1/src/seg0.m4s"
        whole = await c.get(url)
        part = await c.get(url, headers={"Range": "bytes=10-19"})
        assert part.status_code == 206 and part.content == whole.content[10:20]
        assert part.headers["content-range"] == f"bytes 10-19/{len(whole.content)}"
        bad = await c.get(url, headers={"Range": "bytes=99999-"})
        assert bad.status_code == 416
        etag = whole.headers["etag"]
        assert (await c.get(url, headers={"If-None-Match": etag})).status_code == 304
        head = await c.head(url)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == str(len(whole.content))
        pre = await c.options(url)
        assert pre.status_code == 204 and "GET" in pre.headers["access-control-allow-methods"]
        assert (await c.post(url)).status_code in (404, 405)  # not HLS: the ASGI app answers


async def test_paths_never_escape_and_errors_are_json(tmp_path: Path) -> None:
    app, _, _ = live_app(tmp_path)
    (tmp_path / "secret.txt").write_text("no")
    async with serving(app) as port:
        for path in (
            b"/sender/hls/ep/../secret.txt",
            b"/sender/hls/ep/%2e%2e/secret.txt",
            b"/sender/hls/ep/1/..%2fsecret.txt",
            b"/sender/hls/ep//1/src/part0.m4s",
            b"/sender/hls/EP/1/x",
            b"/sender/hls/ep\\1/x",
        ):
            raw = await Raw.open(port)
            await raw.send(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            status, headers, body = await raw.response()
            assert status in (400, 404), path
            assert headers["content-type"] == "application/json" and b"detail" in body
            raw.close()


async def test_malformed_oversized_and_half_closed_clients(tmp_path: Path) -> None:
    app, pl, _ = live_app(tmp_path)
    async with serving(app) as port:
        raw = await Raw.open(port)
        await raw.send(b"GARBAGE\x01 / HTTP/9\r\n\r\n")
        status, headers, body = await raw.response()
        assert status == 400 and b"detail" in body and await raw.closed()
        raw = await Raw.open(port)
        await raw.send(b"GET /sender/hls/ep/x HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        status, _, _ = await raw.response()
        assert status == 431 and await raw.closed()
        raw = await Raw.open(port)  # half-closed after a blocking reload: still answered
        await raw.send(b"GET /sender/hls/ep/live.m3u8?_HLS_msn=0&_HLS_part=2 HTTP/1.1\r\n\r\n")
        raw.writer.write_eof()
        await wait_for_async(lambda: pl.listeners == 1, 5, "the reload waiting")
        pl.add_part(Part("1/src/part2.m4s", 0.5, False), b"new part")
        status, headers, body = await raw.response()
        assert status == 200 and b"part2.m4s" in body and headers["connection"] == "close"
        assert await raw.closed()
        raw = await Raw.open(port)
        await raw.send(b"GET /sender/hls/ep/live.m3u8?_HLS_msn=x HTTP/1.1\r\n\r\n")
        status, _, body = await raw.response()
        assert status == 400 and b"_HLS_msn" in body


async def test_slowloris_and_idle_connections_are_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sender_common.hls.serve.protocol as http
    import sender_common.hls.serve.timers as timers

    monkeypatch.setattr(http, "HEAD_SECONDS", 0.5)
    monkeypatch.setattr(timers.IdleSweep, "TICK", 0.1)
    app, _, _ = live_app(tmp_path)
    async with serving(app, timeout_keep_alive=1) as port:
        slow = await Raw.open(port)
        await slow.send(b"GET /sender/hls/ep/1/src/part0.m4s HTTP/1.1\r\nHo")
        status, _, body = await slow.response()
        assert status == 408 and b"detail" in body and await slow.closed()
        idle = [await Raw.open(port) for _ in range(200)]
        for conn in idle[:100]:  # half of them make one request, then stay idle
            await conn.send(b"GET /sender/hls/ep/1/src/part0.m4s HTTP/1.1\r\n\r\n")
            assert (await conn.response())[0] == 200
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
            got = await c.get("/sender/hls/ep/1/src/part0.m4s")  # the server still serves
            assert got.status_code == 200
        for conn in idle:
            assert await conn.closed()


async def test_shutdown_answers_waiting_reloads(tmp_path: Path) -> None:
    app, pl, _ = live_app(tmp_path)
    async with serving(app) as port:
        raw = await Raw.open(port)
        await raw.send(b"GET /sender/hls/ep/live.m3u8?_HLS_msn=0&_HLS_part=2 HTTP/1.1\r\n\r\n")
        waiting = asyncio.create_task(raw.response(timeout=3))
        await wait_for_async(lambda: pl.listeners == 1, 5, "the reload waiting")
        assert not waiting.done()
    status, _, body = await waiting  # the server stopped: answered with what there was
    assert status == 200 and b"part1.m4s" in body


UPGRADES = [
    b"GET /api/ping HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    b"POST /api/echo HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n"
    b'Content-Type: application/json\r\nContent-Length: 10\r\n\r\n{"a": "b"}',
    b"GET /sender/hls/ep/live.m3u8 HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
]


@pytest.mark.parametrize("ws", ["none", "auto"])
async def test_upgrades_are_refused_and_never_reach_the_app(tmp_path: Path, ws: str) -> None:
    """400 and closed, the same with or without uvicorn's WebSocket support loaded."""
    hls = live_app(tmp_path)[0]
    app = app_with(hls)
    async with serving(hls, app=app, ws=ws) as port:
        for request in UPGRADES:
            raw = await Raw.open(port)
            await raw.send(request)
            status, _, body = await raw.response()
            assert status == 400 and b"upgrades are not supported" in body
            assert await raw.closed()
        raw = await Raw.open(port)  # the app's next request: the first it sees
        await raw.send(b"GET /api/ping HTTP/1.1\r\n\r\n")
        assert (await raw.response())[0] == 200
    assert app.state.calls == ["ping"]

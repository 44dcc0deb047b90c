"""The HLS serving protocol in a real uvicorn server on 127.0.0.1, in the test's own loop,
and a raw HTTP/1.1 client for what httpx will not send (pipelining, malformed requests)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace

import uvicorn
from fastapi import FastAPI

from sender_common.hls.playlist.live import LivePlaylist
from sender_common.hls.playlist.partstore import PartStore
from sender_common.hls.playlist.segments import Part
from sender_common.hls.serve.app import HlsApp, HlsHit
from sender_common.hls.serve.protocol import HlsHttpProtocol
from sender_common.hls.serve.request import Blocking, LiveAnswer
from sender_common.hls.serve.spoolcache import SpoolCache
from tests.waiting import wait_for_async


def app_with(hls: HlsApp) -> FastAPI:
    """A FastAPI app whose runtime serves `hls`, plus two ASGI routes (their calls are
    counted in `app.state.calls`)."""
    app = FastAPI()
    app.state.runtime = SimpleNamespace(hls=hls)
    app.state.calls = []

    @app.get("/api/ping")
    async def ping() -> dict[str, str]:
        app.state.calls.append("ping")
        return {"pong": "yes"}

    @app.post("/api/echo")
    async def echo(body: dict[str, str]) -> dict[str, str]:
        app.state.calls.append("echo")
        return body

    return app


def live_app(
    tmp_path: Path,
    live_epoch: Callable[[], int] | None = None,
    observer: Callable[[HlsHit], None] | None = None,
) -> tuple[HlsApp, LivePlaylist, PartStore]:
    """An HLS app over one live playlist `ep/live.m3u8` (two parts, the third hinted) and one
    segment file, answering blocking reloads with `LiveWait`s; returns the app, the playlist
    and its part store."""
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
    app = HlsApp(
        SpoolCache(tmp_path),
        live=slow,
        live_now=now,
        parts=store,
        part_wait=5,
        live_epoch=live_epoch,
        observer=observer,
    )
    return app, pl, store


@asynccontextmanager
async def serving(
    hls: HlsApp, *, app: FastAPI | None = None, **config: object
) -> AsyncIterator[int]:
    """uvicorn with `HlsHttpProtocol` serving `hls` (or `app`, made by `app_with`), with
    the roles' `--ws none`; yields its port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    cfg = uvicorn.Config(
        app or app_with(hls),
        http=HlsHttpProtocol,
        log_level="warning",
        lifespan="off",
        **{"ws": "none", **config},  # type: ignore[arg-type]
    )
    server = uvicorn.Server(cfg)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:

        def started() -> bool:
            if task.done():
                task.result()
            return server.started

        await wait_for_async(started, 10, "the server listening")
        yield port
    finally:
        server.should_exit = True
        await task
        sock.close()


class Raw:
    """One raw TCP connection: write bytes, read whole responses."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> Raw:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
        """The next response: status, headers (lower-case names), body."""
        async with asyncio.timeout(timeout):
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            headers = {}
            for line in lines[1:]:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
            return status, headers, body

    async def closed(self, timeout: float = 5) -> bool:
        """Whether the server closes the connection (EOF) within `timeout`; what it sends
        before closing (e.g. a 408) is read and dropped."""
        async with asyncio.timeout(timeout):
            await self.reader.read()
            return self.reader.at_eof()

    def close(self) -> None:
        self.writer.close()

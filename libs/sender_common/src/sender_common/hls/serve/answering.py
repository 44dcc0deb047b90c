"""Answering HLS requests on a connection: at once from memory, or after a wait.

A part, segment or playlist that is there is written at once, in the parser's callback; a
blocking reload waits as a listener on its `LivePlaylist`; a request for the preload-hinted
part waits as a callback on the part's future (timeouts: `timers.Deadlines`). Only slow
answers (a database lookup, an on-demand start, an upstream DVR fetch) become a task.
"""

from __future__ import annotations

__all__ = ["Answering"]

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sender_common.errors import SenderError
from sender_common.hls.playlist.live import LiveWait
from sender_common.hls.serve import wire
from sender_common.hls.serve.app import HlsApp, error_headers
from sender_common.hls.serve.cycle import HlsCycle, find_hls
from sender_common.hls.serve.request import (
    OPTIONS_HEADERS,
    BlockingRequestError,
    HintWait,
    HlsRequest,
    parsed_request,
)
from sender_common.hls.serve.spoolcache import PLAYLIST_TYPE, CachedFile
from sender_common.hls.serve.timers import deadlines

log = logging.getLogger(__name__)
Observed = tuple[HlsRequest, bool, int, int, dict[str, Any]]
_later: dict[asyncio.AbstractEventLoop, list[tuple[HlsApp, Observed]]] = {}


def observe_later(loop: asyncio.AbstractEventLoop, hls: HlsApp, hit: Observed) -> None:
    """Count an answered request after this loop turn's other callbacks (exactly once, in
    order): a release writes every waiter's answer before counting any."""
    pending = _later.get(loop)
    if pending is None:
        pending = _later[loop] = []
        loop.call_soon(_observe_all, loop)
    pending.append((hls, hit))


def _observe_all(loop: asyncio.AbstractEventLoop) -> None:
    for hls, (req, playlist, status, size, scope) in _later.pop(loop, ()):
        hls.observe(req, playlist, status, size, scope)


class Answering(HttpToolsProtocol):
    """uvicorn's httptools protocol and the answering of HLS cycles (`HlsHttpProtocol`
    adds the connection and parser side)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hls = find_hls(self.app)
        self._after_drain = False
        self._waits: dict[int, LiveWait | asyncio.Future[CachedFile | None]] = {}

    def _serve(self, cycle: HlsCycle) -> None:
        hls = self.hls
        assert hls is not None
        if not cycle.path:
            self._send(cycle, wire.empty_response(204, OPTIONS_HEADERS, close=not cycle.keep_alive))
            return
        req = cycle.req = parsed_request(cycle.path, cycle.query)
        if req is None:
            self._send(cycle, wire.error_response(400, "invalid path", close=self._closing(cycle)))
            return
        try:
            found = hls.find_now(req)
        except (BlockingRequestError, SenderError) as exc:
            self._error(cycle, exc)
            return
        if isinstance(found, CachedFile) or found is None:
            self._answer(cycle, found)
        elif isinstance(found, LiveWait):
            self._wait_live(cycle, found)
        elif isinstance(found, HintWait):
            self._wait_hint(cycle, found)
        else:
            task = self.loop.create_task(self._slow(cycle))
            task.add_done_callback(self.tasks.discard)
            self.tasks.add(task)

    def _closing(self, cycle: HlsCycle) -> bool:
        return not cycle.keep_alive

    def _answer(self, cycle: HlsCycle, entry: CachedFile | None, *, later: bool = False) -> None:
        """Write the answer to `cycle`; `later`: its counting after this loop turn (a release
        writes every waiter's answer first)."""
        req = cycle.req
        assert req is not None
        assert self.hls is not None
        if cycle.disconnected:
            return
        if entry is None:
            self._send(cycle, wire.error_response(404, "not found", close=self._closing(cycle)))
            self._count(req, cycle.headers, False, 404, 0)
            return
        rng = inm = None
        for name, value in cycle.headers:
            if name == b"range":
                rng = value
            elif name == b"if-none-match":
                inm = value
        status, top, body, size = wire.file_response(
            entry, rng, inm, cycle.head, self._closing(cycle)
        )
        self._send(cycle, top, body)
        self._count(req, cycle.headers, entry.content_type == PLAYLIST_TYPE, status, size, later)

    def _count(
        self,
        req: HlsRequest,
        headers: list[tuple[bytes, bytes]],
        playlist: bool,
        status: int,
        size: int,
        later: bool = False,
    ) -> None:
        """Count an answered request (`later`: after this loop turn, see `observe_later`)."""
        assert self.hls is not None
        count = self.hls.count_media
        if count is not None and not playlist and status < 400:
            count(req.endpoint, self.client, headers, size)
            return
        scope = {"type": "http", "client": self.client, "headers": headers}
        if later:
            observe_later(self.loop, self.hls, (req, playlist, status, size, scope))
        else:
            self.hls.observe(req, playlist, status, size, scope)

    def _error(self, cycle: HlsCycle, exc: Exception) -> None:
        req = cycle.req
        assert req is not None
        assert self.hls is not None
        if isinstance(exc, BlockingRequestError):
            status, detail, extra, playlist = 400, str(exc), None, True
        else:
            assert isinstance(exc, SenderError)
            status, detail = exc.status_code, exc.detail
            extra, playlist = error_headers(exc), False
        self._send(cycle, wire.error_response(status, detail, extra, close=self._closing(cycle)))
        self._count(req, cycle.headers, playlist, status, 0)

    def _send(self, cycle: HlsCycle, top: bytes, body: bytes = b"") -> None:
        if cycle.disconnected or self.transport.is_closing():
            cycle.response_complete = True
            return
        self._write(top, body)
        cycle.response_complete = True
        if not cycle.keep_alive:
            self.transport.close()
            return
        self._written()

    def _write(self, top: bytes, body: bytes) -> None:
        if body and len(body) > 16384:
            self.transport.writelines((top, body))
        else:
            self.transport.write(top + body if body else top)

    def _written(self) -> None:
        """A keep-alive response was written: on to the next request."""
        if self.flow.write_paused:
            self._after_drain = True  # the next request once the client has read this one
            return
        self.on_response_complete()

    # -- waiting ------------------------------------------------------------------------

    def _wait_live(self, cycle: HlsCycle, wait: LiveWait) -> None:
        def changed() -> None:
            if cycle.disconnected or cycle.response_complete:
                return
            if wait.ready():
                self.finish_wait(cycle)
            else:
                wait.playlist.listen(changed)

        deadlines(self.loop).add(wait.timeout, cycle)
        wait.playlist.listen(changed)
        self._waits[id(cycle)] = wait

    def finish_wait(self, cycle: HlsCycle) -> None:
        wait = self._waits.pop(id(cycle), None)
        if cycle.disconnected or cycle.response_complete:
            return
        req = cycle.req
        assert req is not None
        assert self.hls is not None
        if isinstance(wait, LiveWait):
            found = self._released(req) if wait.ready() else None
            if found is None:  # timed out (or at shutdown): the playlist as it is
                body = wait.render()
                found = None if body is None else self.hls.playlist(req.rel, body)
            self._answer(cycle, found, later=True)
        elif wait is not None:
            entry = wait.result() if wait.done() and not wait.cancelled() else None
            self._answer(cycle, entry, later=True)

    def _released(self, req: HlsRequest) -> CachedFile | None:
        """The playlist a released reload gets: resolved once per change for every waiter
        asking the same (`HlsApp.find_now`'s reuse)."""
        assert self.hls is not None
        try:
            found = self.hls.find_now(req)
        except (BlockingRequestError, SenderError):
            return None
        return found if isinstance(found, CachedFile) else None

    def _wait_hint(self, cycle: HlsCycle, wait: HintWait) -> None:
        hls = self.hls
        assert hls is not None
        assert hls.parts is not None
        fut = hls.parts.future(wait.rel)
        if fut is None or fut.done():
            self._answer(cycle, hls.parts.get(wait.rel) if fut is None else fut.result())
            return
        self._waits[id(cycle)] = fut
        deadlines(self.loop).add(wait.timeout, cycle)
        fut.add_done_callback(lambda _: self.finish_wait(cycle))

    async def _slow(self, cycle: HlsCycle) -> None:
        req = cycle.req
        assert req is not None
        assert self.hls is not None
        try:
            entry = await self.hls.find(req)
        except (BlockingRequestError, SenderError) as exc:
            self._error(cycle, exc)
            return
        except Exception:
            log.exception("HLS request for %s failed", req.rel)
            self._send(cycle, wire.error_response(500, "internal error", close=True))
            return
        self._answer(cycle, entry)

"""The HTTP/1.1 protocol of every role: `/sender/hls/...` served without ASGI, the rest as ASGI.

Run a role with `uvicorn --http sender_common.hls.http:HlsHttpProtocol` (what `sender up`,
the images and the tests do). The protocol is uvicorn's httptools protocol (llhttp parses),
with HLS requests taken off the ASGI path: a part, segment or playlist that is there is
written at once from memory, in the parser's callback, with a response head made once per
file; a blocking reload waits as a listener on its `LivePlaylist` (no task, no coroutine per
viewer: one change releases every waiting viewer in one loop turn, all sharing one rendered
text); a request for the preload-hinted part waits as a callback on the part's future. Only
slow answers (a database lookup, an on-demand start, an upstream DVR fetch) become a task.

Requests stay in order on a connection (pipelining): an HLS request behind an unfinished
one queues in uvicorn's pipeline like any other, and reading pauses meanwhile. A request
head must be complete within `HEAD_SECONDS` of its first byte and under `MAX_HEAD_BYTES`;
otherwise, and for malformed requests, the connection gets a JSON 4xx and is closed. A
half-closed client (EOF after its request) still gets its answer. At shutdown, waiting
blocking reloads are answered at once with the playlist as it is.
"""

from __future__ import annotations

__all__ = ["HEAD_SECONDS", "MAX_HEAD_BYTES", "HlsHttpProtocol", "find_hls"]

import asyncio
import logging
import weakref
from collections import deque
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sender_common.errors import SenderError
from sender_common.hls import wire
from sender_common.hls.playlist.live import LiveWait
from sender_common.hls.serving import (
    OPTIONS_HEADERS,
    BlockingRequestError,
    HintWait,
    HlsApp,
    HlsRequest,
    error_headers,
    parse_request,
)
from sender_common.hls.spoolcache import PLAYLIST_TYPE, CachedFile

log = logging.getLogger(__name__)
PREFIX = b"/sender/hls/"
MAX_HEAD_BYTES = 16 * 1024
HEAD_SECONDS = 10.0


class _HeadTooLarge(Exception):
    pass


def find_hls(app: Any) -> HlsApp | None:
    """The role's HLS app behind uvicorn's wrappers of the ASGI app (None: it serves none)."""
    for _ in range(16):
        runtime = getattr(getattr(app, "state", None), "runtime", None)
        hls = getattr(runtime, "hls", None)
        if isinstance(hls, HlsApp):
            return hls
        app = getattr(app, "app", None)
        if app is None:
            return None
    return None


class _NoEvent:
    """`message_event` of an HLS cycle: uvicorn sets it on body bytes, which HLS ignores."""

    __slots__ = ()

    def set(self) -> None:
        pass


class Deadlines:
    """Timeouts of waiting requests without a timer each: one deque per timeout length
    (so each is in deadline order) and one timer for the nearest expiry."""

    TICK = 0.1

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._queues: dict[float, deque[tuple[float, HlsCycle]]] = {}
        self._timer: asyncio.TimerHandle | None = None

    def add(self, timeout: float, cycle: HlsCycle) -> None:
        queue = self._queues.get(timeout)
        if queue is None:
            queue = self._queues[timeout] = deque()
        queue.append((self.loop.time() + timeout, cycle))
        if self._timer is None:
            self._timer = self.loop.call_later(self.TICK, self._expire)

    def _expire(self) -> None:
        self._timer = None
        now = self.loop.time()
        for queue in list(self._queues.values()):  # answering may start new waits
            while queue and (queue[0][0] <= now or queue[0][1].response_complete):
                _, cycle = queue.popleft()
                if not cycle.response_complete and not cycle.disconnected:
                    cycle.proto._finish_wait(cycle)
        if any(self._queues.values()):
            self._timer = self.loop.call_later(self.TICK, self._expire)


class IdleSweep:
    """Every connection's idle and request-head deadlines, checked once a second by one
    timer (no timer per request)."""

    TICK = 1.0

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.connections: weakref.WeakSet[HlsHttpProtocol] = weakref.WeakSet()
        self._timer: asyncio.TimerHandle | None = None

    def watch(self, proto: HlsHttpProtocol) -> None:
        self.connections.add(proto)
        if self._timer is None:
            self._timer = self.loop.call_later(self.TICK, self._check)

    def _check(self) -> None:
        self._timer = None
        now = self.loop.time()
        for proto in list(self.connections):
            if proto.transport.is_closing():
                self.connections.discard(proto)
            else:
                proto.idle_check(now)
        if self.connections:
            self._timer = self.loop.call_later(self.TICK, self._check)


_sweeps: dict[asyncio.AbstractEventLoop, IdleSweep] = {}


def idle_sweep(loop: asyncio.AbstractEventLoop) -> IdleSweep:
    found = _sweeps.get(loop)
    if found is None:
        _sweeps.clear()
        found = _sweeps[loop] = IdleSweep(loop)
    return found


_deadlines: dict[asyncio.AbstractEventLoop, Deadlines] = {}


def deadlines(loop: asyncio.AbstractEventLoop) -> Deadlines:
    found = _deadlines.get(loop)
    if found is None:
        _deadlines.clear()  # one serving loop per process; a new one (tests) replaces it
        found = _deadlines[loop] = Deadlines(loop)
    return found


class HlsCycle:
    """One HLS request on a connection, in uvicorn's pipeline like its own cycles."""

    __slots__ = (
        "body",
        "disconnected",
        "head",
        "headers",
        "keep_alive",
        "message_event",
        "more_body",
        "path",
        "proto",
        "query",
        "req",
        "response_complete",
    )

    def __init__(
        self,
        proto: HlsHttpProtocol,
        head: bool,
        path: str,
        query: bytes,
        headers: list[tuple[bytes, bytes]],
        keep_alive: bool,
    ) -> None:
        self.proto = proto
        self.head = head
        self.path = path
        self.query = query
        self.headers = headers
        self.keep_alive = keep_alive
        self.response_complete = False
        self.disconnected = False
        self.body = b""
        self.more_body = True
        self.message_event = _NoEvent()
        self.req: HlsRequest | None = None

    def abandon(self) -> None:
        """The connection is gone: a waiting answer is dropped."""
        if not self.response_complete:
            self.disconnected = True


class HlsHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, serving `/sender/hls/` itself (see the module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hls = find_hls(self.app)
        self._head_bytes = 0
        self._since = self.loop.time()  # when the connection went idle or a head began
        self._in_head = True  # a request head is being read (or none yet since connecting)
        self._eof = False
        self._after_drain = False
        self._waits: dict[int, LiveWait | asyncio.Future[CachedFile | None]] = {}

    # -- connection ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        idle_sweep(self.loop).watch(self)

    def connection_lost(self, exc: Exception | None) -> None:
        if isinstance(self.cycle, HlsCycle):
            self.cycle.abandon()
        for cycle, _ in self.pipeline:
            if isinstance(cycle, HlsCycle):
                cycle.abandon()
        super().connection_lost(exc)

    def eof_received(self) -> bool | None:  # type: ignore[override]
        """A client that half-closes after its request still gets the answer."""
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            self._eof = True
            cycle.keep_alive = False
            return True
        return None

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            super()._unsupported_upgrade_warning()
            self._refuse(400, "protocol upgrades are not supported")
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _HeadTooLarge):
                self._refuse(431, "request head too large")
            else:
                raise
        except httptools.HttpParserError:
            self._refuse(400, "malformed HTTP request")

    def _refuse(self, status: int, detail: str) -> None:
        if not self.transport.is_closing():
            self.transport.write(wire.error_response(status, detail, close=True))
            self.transport.close()

    def idle_check(self, now: float) -> None:
        """Close a connection whose request head is late (slowloris, or nothing sent since
        connecting) with 408, and an idle keep-alive connection silently."""
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            return  # a request is being answered
        if self._in_head:
            if now - self._since > HEAD_SECONDS:
                self._refuse(408, "request head not complete in time")
        elif now - self._since > self.timeout_keep_alive:
            self.transport.close()

    def on_response_complete(self) -> None:
        """uvicorn's, with the idle sweep in place of a keep-alive timer per response."""
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        else:
            self._since = self.loop.time()

    def shutdown(self) -> None:
        cycle = self.cycle
        if isinstance(cycle, HlsCycle) and not cycle.response_complete:
            cycle.keep_alive = False
            if id(cycle) in self._waits:
                self._finish_wait(cycle)  # a waiting reload is answered with what there is
            return
        super().shutdown()

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._after_drain:
            self._after_drain = False
            self.on_response_complete()

    # -- parser callbacks ---------------------------------------------------------------

    def on_message_begin(self) -> None:
        # uvicorn's ASGI scope is built only for requests that go to the ASGI app
        self.url = b""
        self.headers = []
        self.expect_100_continue = False
        self._head_bytes = 0
        self._in_head = True
        self._since = self.loop.time()

    def on_url(self, url: bytes) -> None:
        self._head_bytes += len(url)
        if self._head_bytes > MAX_HEAD_BYTES:
            raise _HeadTooLarge
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value) + 4
        if self._head_bytes > MAX_HEAD_BYTES:
            raise _HeadTooLarge
        self.headers.append((name.lower(), value.rstrip(b" \t")))

    def on_headers_complete(self) -> None:
        self._in_head = False
        method = self.parser.get_method()
        if (
            self.hls is None
            or not self.url.startswith(PREFIX)
            or method not in (b"GET", b"HEAD", b"OPTIONS")
        ):
            self._to_asgi()
            return
        path, _, query = self.url.partition(b"?")
        version = self.parser.get_http_version()
        keep_alive = version != "1.0" and self.parser.should_keep_alive()
        if method == b"OPTIONS":
            path = b""  # answered the same for every path
        cycle = HlsCycle(
            self,
            method == b"HEAD",
            path[len(PREFIX) :].decode("latin-1"),
            query.partition(b"#")[0],
            self.headers,
            keep_alive,
        )
        existing = self.cycle
        self.cycle = cycle  # type: ignore[assignment]
        if existing is None or existing.response_complete:
            self._serve(cycle)
        else:  # pipelined behind an unfinished response
            self.flow.pause_reading()
            self.pipeline.appendleft((cycle, None))  # type: ignore[arg-type]

    def _to_asgi(self) -> None:
        url, headers, expect = self.url, self.headers, self.expect_100_continue
        super().on_message_begin()  # uvicorn's scope for this request
        self.url, self.headers = url, headers
        self.scope["headers"] = headers
        self.expect_100_continue = expect or any(
            n == b"expect" and v.lower() == b"100-continue" for n, v in headers
        )
        super().on_headers_complete()

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        if isinstance(cycle, HlsCycle):
            self._serve(cycle)
        else:
            super()._start_asgi_task(cycle, app)

    # -- serving ------------------------------------------------------------------------

    def _serve(self, cycle: HlsCycle) -> None:
        hls = self.hls
        assert hls is not None
        if not cycle.path:
            self._send(cycle, wire.empty_response(204, OPTIONS_HEADERS, close=not cycle.keep_alive))
            return
        req = cycle.req = parse_request(cycle.path, cycle.query)
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

    def _answer(self, cycle: HlsCycle, entry: CachedFile | None) -> None:
        req = cycle.req
        assert req is not None
        assert self.hls is not None
        if cycle.disconnected:
            return
        if entry is None:
            self._send(cycle, wire.error_response(404, "not found", close=self._closing(cycle)))
            self.hls.observe(req, False, 404, 0, self._scope(cycle))
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
        playlist = entry.content_type == PLAYLIST_TYPE
        self.hls.observe(req, playlist, status, size, self._scope(cycle))

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
        self.hls.observe(req, playlist, status, 0, self._scope(cycle))

    def _scope(self, cycle: HlsCycle) -> dict[str, Any]:
        """What the viewer counting reads of a request (an ASGI scope's `client`, `headers`)."""
        return {"type": "http", "client": self.client, "headers": cycle.headers}

    def _send(self, cycle: HlsCycle, top: bytes, body: bytes = b"") -> None:
        if cycle.disconnected or self.transport.is_closing():
            cycle.response_complete = True
            return
        if body and len(body) > 16384:
            self.transport.writelines((top, body))
        else:
            self.transport.write(top + body if body else top)
        cycle.response_complete = True
        if not cycle.keep_alive:
            self.transport.close()
            return
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
                self._finish_wait(cycle)
            else:
                wait.playlist.listen(changed)

        deadlines(self.loop).add(wait.timeout, cycle)
        wait.playlist.listen(changed)
        self._waits[id(cycle)] = wait

    def _finish_wait(self, cycle: HlsCycle) -> None:
        wait = self._waits.pop(id(cycle), None)
        if cycle.disconnected or cycle.response_complete:
            return
        req = cycle.req
        assert req is not None
        assert self.hls is not None
        if isinstance(wait, LiveWait):
            body = wait.render()
            self._answer(cycle, None if body is None else self.hls.playlist(req.rel, body))
        elif wait is not None:
            entry = wait.result() if wait.done() and not wait.cancelled() else None
            self._answer(cycle, entry)

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
        fut.add_done_callback(lambda _: self._finish_wait(cycle))

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

"""The HTTP/1.1 protocol of every role: `/sender/hls/...` served without ASGI, the rest as ASGI.

Run a role with `uvicorn --http sender_common.hls.serve.protocol:HlsHttpProtocol` (what `sender up`,
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

__all__ = ["HEAD_SECONDS", "MAX_HEAD_BYTES", "HlsHttpProtocol"]

import asyncio
from typing import Any

import httptools

from sender_common.errors import FormatError, SenderError
from sender_common.hls.serve import wire
from sender_common.hls.serve.answering import Answering
from sender_common.hls.serve.cycle import HlsCycle
from sender_common.hls.serve.request import BlockingRequestError, HlsRequest
from sender_common.hls.serve.spoolcache import PLAYLIST_TYPE, CachedFile
from sender_common.hls.serve.timers import idle_sweep

PREFIX = b"/sender/hls/"
MAX_HEAD_BYTES = 16 * 1024
HEAD_SECONDS = 10.0


# a request head remembered: the chunk's bytes as read (at most SEEN_MAX_BYTES, SEEN_MAX
# of them per app) and what parsing them gave
Seen = tuple[HlsRequest, list[tuple[bytes, bytes]]]
SEEN_MAX, SEEN_MAX_BYTES = 1024, 4096


def _plain(headers: list[tuple[bytes, bytes]]) -> bool:
    """No field that makes the answer depend on more than the file (a range, a validator)."""
    return not any(name in (b"range", b"if-none-match") for name, _ in headers)


class _HeadTooLarge(FormatError):
    """A request head over MAX_HEAD_BYTES (answered 431, then closed)."""

    status_code = 431


class HlsHttpProtocol(Answering):
    """uvicorn's httptools protocol, serving `/sender/hls/` itself (see the module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0
        self._since = self.loop.time()  # when the connection went idle or a head began
        self._in_head = True  # a request head is being read (or none yet since connecting)
        self._eof = False
        self._between = True  # llhttp is between two messages
        self._begun = 0  # messages begun in the chunk being parsed
        self._learn: HlsCycle | None = None  # the chunk's request, if it may be remembered
        self._seen = None if self.hls is None else self.hls.seen

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
        seen = self._seen
        if seen is not None and self._between:
            known = seen.get(data)
            if known is not None and self._repeat(known):
                return
        self._begun, self._learn = 0, None
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
        else:
            learn = self._learn
            if learn is not None and self._begun == 1 and self._between and learn.req is not None:
                assert seen is not None
                if len(data) <= SEEN_MAX_BYTES:
                    if len(seen) >= SEEN_MAX:
                        seen.clear()
                    seen[data] = (learn.req, learn.headers)

    def _repeat(self, known: Seen) -> bool:
        """Answer a chunk that is a request head seen before, byte for byte, when its answer
        is a file there now; False: it goes through the parser like any other."""
        cycle = self.cycle
        hls = self.hls
        assert hls is not None
        if cycle is not None and not cycle.response_complete:
            return False  # behind an unfinished response: queued by the parser's path
        req, headers = known
        try:
            found = hls.find_now(req)
        except (BlockingRequestError, SenderError):
            return False
        if not isinstance(found, CachedFile) or self.transport.is_closing():
            return False
        self._in_head = False
        status, top, body, size = wire.file_response(found, None, None, False, False)
        self._write(top, body)
        self._count(req, headers, found.content_type == PLAYLIST_TYPE, status, size)
        self._written()
        return True

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
                self.finish_wait(cycle)  # a waiting reload is answered with what there is
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
        self._between = False
        self._begun += 1
        self.url = b""
        self.headers = []
        self.expect_100_continue = False
        self._head_bytes = 0
        self._in_head = True
        self._since = self.loop.time()

    def on_url(self, url: bytes) -> None:
        self._head_bytes += len(url)
        if self._head_bytes > MAX_HEAD_BYTES:
            raise _HeadTooLarge("request head too large")
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value) + 4
        if self._head_bytes > MAX_HEAD_BYTES:
            raise _HeadTooLarge("request head too large")
        self.headers.append((name.lower(), value.rstrip(b" \t")))

    def on_headers_complete(self) -> None:
        self._in_head = False
        method = self.parser.get_method()
        if self.parser.should_upgrade():
            # refused (400) once the parser stops at the upgrade: never reaches the app, with
            # or without a WebSocket library loaded (the roles run uvicorn with `--ws none`)
            return
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
        if method == b"GET" and keep_alive and version == "1.1" and _plain(self.headers):
            self._learn = cycle  # remembered once served at once, alone in its chunk
        existing = self.cycle
        self.cycle = cycle  # type: ignore[assignment]
        if existing is None or existing.response_complete:
            self._serve(cycle)
        else:  # pipelined behind an unfinished response
            self.flow.pause_reading()
            self.pipeline.appendleft((cycle, None))  # type: ignore[arg-type]

    def on_body(self, body: bytes) -> None:
        if not self.parser.should_upgrade():  # an upgrade's body: refused with it
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._between = True
        if not self.parser.should_upgrade():
            super().on_message_complete()

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

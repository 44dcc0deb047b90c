"""The HLS app behind `/sender/hls/...`, the same on every role that serves HLS.

`HlsApp.find_now` answers a request without waiting where it can (a part or segment from
memory, a playlist as it is); what must wait is returned as such (`LiveWait`: a blocking
reload; `HintWait`: the preload-hinted part; `LATER`: a slow path such as a database
lookup or an upstream fetch), for the front end to wait on its own way. Two front ends: the
ASGI app (`HlsApp.__call__`, for mounts and tests) and the HTTP protocol of
`serve/protocol.py`, which serves this URL space without ASGI. Files come from `SpoolCache`;
requests are checked by `serve/request.py`, and resolved files stay inside the spool.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeAlias

from starlette.types import ASGIApp, Receive, Scope, Send

from sender_common.errors import SenderError
from sender_common.hls.playlist.live import LiveWait
from sender_common.hls.playlist.partstore import PartStore
from sender_common.hls.serve.request import (
    LATER,
    OPTIONS_HEADERS,
    Blocking,
    BlockingRequestError,
    HintWait,
    HlsRequest,
    Later,
    LiveAnswer,
    parse_request,
)
from sender_common.hls.serve.responses import respond, send_bytes, send_error
from sender_common.hls.serve.spoolcache import PLAYLIST_TYPE, CachedFile, SpoolCache

__all__ = [
    "LATER",
    "Blocking",
    "BlockingRequestError",
    "HintWait",
    "HlsApp",
    "HlsFastPath",
    "HlsHit",
    "HlsRequest",
    "LiveAnswer",
    "error_headers",
]


@dataclass(slots=True)
class HlsHit:
    """What one served request was, for viewer counting and stats."""

    endpoint: str
    path: str
    is_playlist: bool
    status: int
    nbytes: int
    vsid: str | None
    scope: Scope


LiveResolver = Callable[[str, str, Blocking | None], Awaitable[bytes | None]]
NowResolver = Callable[[str, str, Blocking | None], LiveAnswer]
MissHandler = Callable[[str], Awaitable[bool]]
FileMissHandler = Callable[[str, str], Awaitable[CachedFile | None]]
Observer = Callable[[HlsHit], None]
# a part or segment answered: (endpoint, client address, request headers, body bytes sent)
MediaCounter = Callable[[str, "tuple[str, int] | None", list[tuple[bytes, bytes]], int], None]

Found: TypeAlias = "CachedFile | LiveWait | HintWait | Later | None"


class HlsApp:
    """Serves `{endpoint}/{...}` from the spool; `live*` names come from `live`."""

    def __init__(
        self,
        cache: SpoolCache,
        *,
        live: LiveResolver | None = None,
        live_now: NowResolver | None = None,
        on_miss: MissHandler | None = None,
        observer: Observer | None = None,
        parts: PartStore | None = None,
        part_wait: float = 6.0,
        on_file_miss: FileMissHandler | None = None,
        live_epoch: Callable[[], int] | None = None,
        count_media: MediaCounter | None = None,
    ) -> None:
        self.cache = cache
        self.live = live
        self.live_now = live_now  # `live` without waiting, for the serving path's fast answers
        self.on_miss = on_miss
        self.observer = observer
        # the serving path's count of a part or segment answered (`observer` without an
        # `HlsHit` per request); without it, `observer` sees those too
        self.count_media = count_media
        # request heads the serving path has parsed, by their bytes (`serve/protocol.py`)
        self.seen: dict[bytes, tuple[HlsRequest, list[tuple[bytes, bytes]]]] = {}
        self.parts = parts
        self.part_wait = part_wait
        self.on_file_miss = on_file_miss  # (endpoint, path below it): e.g. an edge's DVR
        self._playlists: dict[str, CachedFile] = {}
        # a live playlist as resolved, per (name, blocking directives), reused while
        # `live_epoch()` (bumped by every live playlist change) stays the same, briefly
        self.live_epoch = live_epoch
        # (a blocking reload not satisfied yet reuses its `LiveWait` the same way)
        self._live: dict[tuple[str, Blocking | None], tuple[int, float, CachedFile | LiveWait]] = {}

    async def __call__(self, scope: Scope, _receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        method = scope["method"]
        if method == "OPTIONS":
            await send_bytes(send, 204, b"", OPTIONS_HEADERS)
            return
        if method not in ("GET", "HEAD"):
            await send_error(send, 405, "method not allowed")
            return
        req = _request_of(scope)
        if req is None:
            await send_error(send, 400, "invalid path")
            return
        try:
            entry = await self.find(req)
        except BlockingRequestError as exc:
            await send_error(send, 400, str(exc))
            self.observe(req, True, 400, 0, scope)
            return
        except SenderError as exc:  # e.g. an edge at its session limit, or its upstream failing
            await send_error(send, exc.status_code, exc.detail, error_headers(exc))
            self.observe(req, False, exc.status_code, 0, scope)
            return
        if entry is None:
            await send_error(send, 404, "not found")
            self.observe(req, False, 404, 0, scope)
            return
        status, nbytes = await respond(scope, send, entry, method == "HEAD")
        self.observe(req, entry.content_type == PLAYLIST_TYPE, status, nbytes, scope)

    def find_now(self, req: HlsRequest) -> Found:
        """The answer now where there is one, else what to wait for (see the module doc)."""
        if req.live_name and self.live is not None:
            if self.live_now is None:
                return LATER
            block = req.block()
            key = (req.rel, block)
            epoch = self.live_epoch() if self.live_epoch is not None else None
            cached = self._live.get(key)
            now = time.monotonic()
            if cached is not None and cached[0] == epoch and now < cached[1]:
                return cached[2]
            found = self.live_now(req.endpoint, req.rel[len(req.endpoint) + 1 :], block)
            answer: CachedFile | LiveWait
            if isinstance(found, bytes):
                answer = self.playlist(req.rel, found)
            elif isinstance(found, LiveWait):
                answer = found  # every viewer asking the same waits on the same playlist
            elif found is None and self.on_miss is not None:
                return LATER
            else:
                return found
            if epoch is not None:
                if len(self._live) > MAX_PLAYLISTS:
                    self._live.clear()
                self._live[key] = (epoch, now + LIVE_REUSE_SECONDS, answer)
            return answer
        if self.parts is not None:
            part = self.parts.get(req.rel)
            if part is not None:
                return part
            if self.parts.hinted(req.rel):  # the preload-hinted part: wait until complete
                return HintWait(req.rel, self.part_wait)
        found_file = self.cache.lookup(req.rel) or self.cache.load(req.rel)
        if found_file is None and self.on_file_miss is not None and not req.rel.endswith(".m3u8"):
            return LATER
        return found_file

    async def find(self, req: HlsRequest) -> CachedFile | None:
        """The answer, waiting where it must (blocking reloads, hinted parts, slow paths)."""
        found = self.find_now(req)
        if isinstance(found, LiveWait):
            body = await found.result()
            return None if body is None else self.playlist(req.rel, body)
        if isinstance(found, HintWait):
            assert self.parts is not None
            return await self.parts.wait(found.rel, found.timeout)
        if found is LATER:
            return await self._slow(req)
        return found

    def playlist(self, rel: str, body: bytes) -> CachedFile:
        """A playlist body as a servable file, made once per text (every viewer shares it)."""
        entry = self._playlists.get(rel)
        if entry is None or entry.body is not body:
            if len(self._playlists) > MAX_PLAYLISTS:
                self._playlists.clear()
            entry = self._playlists[rel] = CachedFile(body, PLAYLIST_TYPE, "", 0, immutable=False)
        return entry

    async def _slow(self, req: HlsRequest) -> CachedFile | None:
        endpoint, parts = req.endpoint, req.parts
        if req.live_name and self.live is not None:
            block = req.block()
            name = "/".join(parts[1:])
            body = await self.live(endpoint, name, block)
            if body is None and self.on_miss is not None and await self.on_miss(endpoint):
                body = await self.live(endpoint, name, block)
            return None if body is None else self.playlist(req.rel, body)
        if self.on_file_miss is not None:
            return await self.on_file_miss(endpoint, "/".join(parts[1:]))
        return None

    def observe(
        self, req: HlsRequest, playlist: bool, status: int, nbytes: int, scope: Scope
    ) -> None:
        if self.observer is not None:
            hit = HlsHit(req.endpoint, req.rel, playlist, status, nbytes, req.vsid, scope)
            self.observer(hit)


MAX_PLAYLISTS = 4096
# a resolved live playlist serves for at most this long without a change (what is not a
# playlist change, such as an upstream found frozen or a grace period's end, shows by then)
LIVE_REUSE_SECONDS = 0.25


def error_headers(exc: SenderError) -> list[tuple[bytes, bytes]] | None:
    extra = [(k.lower().encode(), v.encode()) for k, v in exc.headers().items()]
    return extra or None


def _request_of(scope: Scope) -> HlsRequest | None:
    raw = scope.get("raw_path") or scope["path"].encode()
    if b"%" in raw or b"\\" in raw:
        return None
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return parse_request(path, scope.get("query_string", b""))


class HlsFastPath:
    """Outermost ASGI middleware: `/sender/hls/...` goes straight to the HLS app, skipping
    routing and the other middleware (HTTP metrics for HLS are the observer's job)."""

    def __init__(self, app: ASGIApp, hls: HlsApp, prefix: str = "/sender/hls") -> None:
        self.app = app
        self.hls = hls
        self.prefix = prefix
        self._prefix_slash = prefix + "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self._prefix_slash):
            await self.hls({**scope, "root_path": self.prefix}, receive, send)
            return
        await self.app(scope, receive, send)

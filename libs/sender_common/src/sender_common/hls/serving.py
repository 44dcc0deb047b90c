"""The ASGI app behind `/sender/hls/...`, the same on every role that serves HLS.

A lean path: no routing tables or thread hops; files come from `SpoolCache`.
Paths are checked component by component (a fixed character set, no `..`, no percent
escapes) and resolved files must stay inside the spool, so nothing can escape it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from sender_common.errors import SenderError
from sender_common.hls.parts import PartStore
from sender_common.hls.responses import respond, send_bytes, send_error
from sender_common.hls.spoolcache import PLAYLIST_TYPE, CachedFile, SpoolCache
from sender_common.models import SLUG_RE

_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_VSID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_UINT = re.compile(r"^\d{1,12}$")
MAX_PART_INDEX = 10_000


@dataclass(frozen=True, slots=True)
class Blocking:
    """An LL-HLS blocking playlist reload (RFC 8216bis 6.2.5.2): `_HLS_msn`, `_HLS_part`."""

    msn: int
    part: int | None = None
    skip: bool = False


class BlockingRequestError(ValueError):
    """A blocking reload the server refuses with 400 (malformed, or too far ahead)."""


@dataclass(frozen=True, slots=True)
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
MissHandler = Callable[[str], Awaitable[bool]]
FileMissHandler = Callable[[str, str], Awaitable[CachedFile | None]]
Observer = Callable[[HlsHit], None]


class HlsApp:
    """Serves `{endpoint}/{...}` from the spool; `live*` names come from `live`."""

    def __init__(
        self,
        cache: SpoolCache,
        *,
        live: LiveResolver | None = None,
        on_miss: MissHandler | None = None,
        observer: Observer | None = None,
        parts: PartStore | None = None,
        part_wait: float = 6.0,
        on_file_miss: FileMissHandler | None = None,
    ) -> None:
        self.cache = cache
        self.live = live
        self.on_miss = on_miss
        self.observer = observer
        self.parts = parts
        self.part_wait = part_wait
        self.on_file_miss = on_file_miss  # (endpoint, path below it): e.g. an edge's DVR

    async def __call__(self, scope: Scope, _receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        method = scope["method"]
        if method == "OPTIONS":
            await send_bytes(
                send,
                204,
                b"",
                [
                    (b"access-control-allow-methods", b"GET, HEAD, OPTIONS"),
                    (b"access-control-allow-headers", b"Range"),
                    (b"access-control-max-age", b"86400"),
                ],
            )
            return
        if method not in ("GET", "HEAD"):
            await send_error(send, 405, "method not allowed")
            return
        parts = _split(scope)
        if parts is None:
            await send_error(send, 400, "invalid path")
            return
        endpoint, rel = parts[0], "/".join(parts)
        query = _query(scope)
        vsid = _vsid(query)
        try:
            entry = await self._find(endpoint, parts, rel, query)
        except BlockingRequestError as exc:
            await send_error(send, 400, str(exc))
            self._observe(endpoint, rel, True, 400, 0, vsid, scope)
            return
        except SenderError as exc:  # e.g. an edge at its session limit, or its upstream failing
            extra = [(k.lower().encode(), v.encode()) for k, v in exc.headers().items()]
            await send_error(send, exc.status_code, exc.detail, extra or None)
            self._observe(endpoint, rel, False, exc.status_code, 0, vsid, scope)
            return
        if entry is None:
            await send_error(send, 404, "not found")
            self._observe(endpoint, rel, False, 404, 0, vsid, scope)
            return
        status, nbytes = await respond(scope, send, entry, method == "HEAD")
        self._observe(
            endpoint, rel, entry.content_type == PLAYLIST_TYPE, status, nbytes, vsid, scope
        )

    async def _find(
        self, endpoint: str, parts: list[str], rel: str, query: Query
    ) -> CachedFile | None:
        if len(parts) >= 2 and parts[1].startswith(("live", "dvr")) and self.live is not None:
            block = blocking_from(query)
            name = "/".join(parts[1:])
            body = await self.live(endpoint, name, block)
            if body is None and self.on_miss is not None and await self.on_miss(endpoint):
                body = await self.live(endpoint, name, block)
            if body is None:
                return None
            return CachedFile(body, PLAYLIST_TYPE, "", 0, immutable=False)
        if self.parts is not None:
            part = self.parts.get(rel)
            if part is not None:
                return part
            if self.parts.hinted(rel):  # the preload-hinted part: wait until it is complete
                return await self.parts.wait(rel, self.part_wait)
        found = self.cache.lookup(rel) or self.cache.load(rel)
        if found is None and self.on_file_miss is not None and not rel.endswith(".m3u8"):
            return await self.on_file_miss(endpoint, "/".join(parts[1:]))
        return found

    def _observe(
        self,
        endpoint: str,
        rel: str,
        playlist: bool,
        status: int,
        nbytes: int,
        vsid: str | None,
        scope: Scope,
    ) -> None:
        if self.observer is not None:
            self.observer(HlsHit(endpoint, rel, playlist, status, nbytes, vsid, scope))


def _split(scope: Scope) -> list[str] | None:
    raw = scope.get("raw_path") or scope["path"].encode()
    if b"%" in raw or b"\\" in raw:
        return None
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    parts = path.strip("/").split("/")
    if len(parts) < 2 or len(parts) > 5 or not SLUG_RE.match(parts[0]):
        return None
    if not all(_PART.match(p) and ".." not in p for p in parts[1:]):
        return None
    return parts


Query = dict[str, list[str]]


def _query(scope: Scope) -> Query:
    """A request's query, parsed once, only when it holds something the HLS app reads."""
    qs = scope.get("query_string", b"")
    if not qs or (b"_HLS_" not in qs and b"vsid=" not in qs):
        return {}
    return parse_qs(qs.decode("latin-1"), keep_blank_values=True)


def blocking_of(qs: bytes) -> Blocking | None:
    """The LL-HLS directives of a playlist request; BlockingRequestError when malformed."""
    if b"_HLS_" not in qs:
        return None
    return blocking_from(parse_qs(qs.decode("latin-1"), keep_blank_values=True))


def blocking_from(query: Query) -> Blocking | None:
    """`blocking_of` for a query already parsed (blank values kept)."""
    msn, part = query.get("_HLS_msn"), query.get("_HLS_part")
    skip = query.get("_HLS_skip", [""])[0] in ("YES", "v2")
    if msn is None:
        if part is not None:
            raise BlockingRequestError("_HLS_part requires _HLS_msn")
        return None
    if len(msn) > 1 or not _UINT.match(msn[0]):
        raise BlockingRequestError("_HLS_msn must be a non-negative integer")
    index: int | None = None
    if part is not None:
        if len(part) > 1 or not _UINT.match(part[0]) or int(part[0]) > MAX_PART_INDEX:
            raise BlockingRequestError("_HLS_part must be a non-negative integer")
        index = int(part[0])
    return Blocking(int(msn[0]), index, skip)


def _vsid(query: Query) -> str | None:
    values = [v for v in query.get("vsid", ()) if v]  # the first one given a value
    if values and _VSID.match(values[0]):
        return str(values[0])
    return None


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

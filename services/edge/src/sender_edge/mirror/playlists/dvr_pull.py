"""DVR on the edge by pull-through: the upstream's DVR playlists, and older media on demand.

`dvr.m3u8` and `dvr/{rendition}.m3u8` come from the session's upstream, validated (off the
event loop, and only when the body changed) and kept for `playlist_ttl` seconds or half
their target duration, so many viewers make one upstream request per name. A segment
or init section of the DVR window that is not in the spool is fetched once (concurrent
requests share the fetch), written temp-then-rename into the spool and cached; later
requests are served from the spool. A file the upstream lacks (404) is not asked for again
for `miss_ttl` seconds (about a target).

Retention: the live window's pruning never touches pull-through files (it only deletes
what the follower added itself). They go with their generation (the retention sweep of
ended generations), and within the current generation once older than the retention
period (`SENDER_HLS_RETENTION_SECONDS`), so the spool stays bounded however long a
generation runs. A file pulled again after that is simply fetched again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from pathlib import Path

import httpx

from sender_common.errors import UpstreamError
from sender_common.hls.playlist.master import is_master_playlist, parse_master_playlist
from sender_common.hls.playlist.parse import parse_media_playlist
from sender_common.hls.playlist.syntax import PlaylistError
from sender_common.hls.serve.spoolcache import CachedFile, content_type_for
from sender_common.models import RENDITION_PATTERN
from sender_common.recent import RecentMisses
from sender_common.tasks import SingleFlight
from sender_edge.mirror.follow.context import MirrorContext
from sender_edge.mirror.follow.spool import write_atomic
from sender_edge.mirror.upstream.fetch import (
    MAX_DVR_PLAYLIST_BYTES,
    MAX_SEGMENT_BYTES,
    EndpointSource,
    FetchError,
    UpstreamNotLive,
    get_bytes,
    segment_target,
)

log = logging.getLogger(__name__)
_RENDITION = RENDITION_PATTERN[1:-1]
_NAME = re.compile(rf"^dvr(?:/{_RENDITION})?\.m3u8$")  # dvr.m3u8, dvr/<rendition>.m3u8
_VARIANT = re.compile(rf"^dvr/{_RENDITION}\.m3u8$")
_TARGET = re.compile(rb"#EXT-X-TARGETDURATION:(\d{1,3})")
_FILE = re.compile(
    r"^\d{1,12}/[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}/(?:seg\d{1,12}\.m4s|init\d{1,12}\.mp4)$"
)


class DvrPullThrough:
    """The edge's DVR: upstream playlists (briefly cached) and media fetched on first request."""

    def __init__(
        self, context: MirrorContext, *, playlist_ttl: float = 1.0, miss_ttl: float = 2.0
    ) -> None:
        self._ctx = context  # the edge's spool, cache, metrics, retention and fetch slots
        self._ttl = playlist_ttl
        self._playlists: dict[str, tuple[float, bytes | None]] = {}  # slug/name -> (until, body)
        self._valid: dict[str, bytes] = {}  # slug/name -> digest of the body last validated
        self._flights = SingleFlight("dvr")  # concurrent requests of a name share a fetch
        self._missing = RecentMisses(miss_ttl)  # upstream 404s, not asked again meanwhile
        self._written: dict[str, float] = {}  # slug/rel of pull-through files -> written at

    # -- playlists ----------------------------------------------------------------------

    async def playlist(self, up: EndpointSource, slug: str, name: str) -> bytes | None:
        """`dvr.m3u8` or `dvr/{rendition}.m3u8` of the endpoint's upstream; None: 404."""
        if not _NAME.match(name):
            return None
        key = f"{slug}/{name}"
        held = self._playlists.get(key)
        if held is not None and time.monotonic() < held[0]:
            return held[1]
        body = await self._flights.run(f"playlist:{key}", lambda: self._get_playlist(up, key, name))
        self._playlists[key] = (time.monotonic() + self._keep(body), body)
        return body

    def _keep(self, body: bytes | None) -> float:
        """How long a DVR playlist is served as fetched: `playlist_ttl`, or half a target."""
        found = _TARGET.search(body, 0, 4096) if body is not None else None
        return max(self._ttl, int(found.group(1)) / 2) if found else self._ttl

    async def _get(
        self, client: httpx.AsyncClient, url: str, kind: str, limit: int, attempts: int
    ) -> bytes | None:
        """GET `url` from the upstream; None when it has no such file (404)."""
        self._ctx.metrics.upstream_requests.labels(kind=kind).inc()
        try:
            return await get_bytes(client, url, limit=limit, attempts=attempts)
        except UpstreamNotLive:
            return None
        except (FetchError, httpx.HTTPError) as exc:
            log.warning("%s %s failed: %s", kind, url, exc)
            what = "the DVR playlist" if kind == "dvr_playlist" else "this file"
            raise UpstreamError(f"the upstream failed to send {what}") from exc

    async def _get_playlist(self, up: EndpointSource, key: str, name: str) -> bytes | None:
        url = up.root + name
        body = await self._get(up.client, url, "dvr_playlist", MAX_DVR_PLAYLIST_BYTES, 2)
        if body is None:
            return None
        digest = hashlib.blake2b(body, digest_size=16).digest()
        if self._valid.get(key) == digest:
            return body  # the very body validated before
        try:
            await asyncio.to_thread(validate_dvr_playlist, body.decode("utf-8"), url, up.root)
        except (UnicodeDecodeError, PlaylistError, FetchError) as exc:
            log.warning("unusable upstream DVR playlist %s: %s", url, exc)
            raise UpstreamError("the upstream's DVR playlist is unusable") from exc
        self._valid[key] = digest
        return body

    # -- media --------------------------------------------------------------------------

    async def file(self, up: EndpointSource, slug: str, rel: str) -> CachedFile | None:
        """A DVR segment or init section `{gen}/{rendition}/{file}`: spool, else upstream."""
        if not _FILE.match(rel):
            return None
        key = f"{slug}/{rel}"
        return await self._flights.run(f"file:{key}", lambda: self._pull(up, key, rel))

    async def _pull(self, up: EndpointSource, key: str, rel: str) -> CachedFile | None:
        if key in self._missing:
            return None  # the upstream had none a moment ago
        found = self._ctx.cache.lookup(key)  # the caller found no file: only what came meanwhile
        if found is not None:  # written meanwhile (by the follower or an earlier pull)
            return found
        try:
            url, _ = segment_target(up.root, rel, up.root)
        except FetchError:
            return None
        async with self._ctx.fetch_slots:
            body = await self._get(up.client, url, "dvr_file", MAX_SEGMENT_BYTES, 3)
        if body is None:
            self._missing.add(key)
            return None
        try:
            mtime_ns = await asyncio.to_thread(write_atomic, self._ctx.spool_dir / key, body)
        except OSError as exc:  # e.g. a full disk: this viewer still gets the bytes
            log.warning("%s: pulled file not kept: %s", key, exc)
            return CachedFile(body, content_type_for(key) or "", "", 0, immutable=True)
        self._written[key] = time.monotonic()
        self._ctx.cache.put_bytes(key, body, mtime_ns)
        return self._ctx.cache.lookup(key) or self._ctx.cache.load(key)

    # -- retention, stop -------------------------------------------------

    async def sweep(self) -> int:
        """Delete pull-through files older than the retention period; returns the count."""
        now = time.monotonic()
        old = [
            k for k, at in self._written.items() if at < now - self._ctx.timing.retention_seconds
        ]
        for key in old:
            del self._written[key]
            self._ctx.cache.forget(key)
        await asyncio.to_thread(_unlink, [self._ctx.spool_dir / k for k in old])
        for key in [k for k, (until, _) in self._playlists.items() if until < now]:
            del self._playlists[key]
            self._valid.pop(key, None)
        return len(old)

    async def close(self) -> None:
        await self._flights.close()


def validate_dvr_playlist(text: str, url: str, root: str) -> None:
    """A DVR playlist the edge may serve as is: parseable, every URI inside the endpoint."""
    if is_master_playlist(text):
        master = parse_master_playlist(text)
        if not master.variants or not all(_VARIANT.match(v.uri) for v in master.variants):
            raise PlaylistError("a DVR master playlist names unexpected variants")
        return
    pl = parse_media_playlist(text, MAX_DVR_PLAYLIST_BYTES)
    for seg in pl.segments:
        segment_target(url, seg.uri, root)
        if seg.map_uri:
            segment_target(url, seg.map_uri, root)


def _unlink(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)

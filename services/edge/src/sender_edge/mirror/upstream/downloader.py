"""Fetching one rendition's media from the upstream: files to the spool, parts to memory.

Segments and init sections are written temp-then-rename into the spool and put in the
spool cache; parts are returned to the follower, which keeps them in the part store. The
preload-hinted part is requested as soon as the upstream names it: the upstream holds
that request until the part is complete (RFC 8216bis 6.2.6), so its bytes arrive together
with the playlist that lists it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx

from sender_common.tasks import cancel_and_wait
from sender_edge.mirror.follow.context import MirrorContext
from sender_edge.mirror.follow.spool import write_atomic
from sender_edge.mirror.upstream.fetch import MAX_SEGMENT_BYTES, FetchError, get_bytes

log = logging.getLogger(__name__)
MAX_PART_BYTES = 16 * 1024 * 1024


@dataclass(slots=True)
class Tally:
    """What a worker mirrored, for its status."""

    segments: int = 0
    parts: int = 0
    bytes: int = 0


class Downloader:
    """One rendition's fetches; `hold` is how long the upstream may hold a hinted part."""

    def __init__(
        self,
        slug: str,
        context: MirrorContext,
        *,
        client: httpx.AsyncClient,
        tally: Tally,
        timeout: float,
    ) -> None:
        self.slug = slug
        self.context = context  # the edge's spool, cache, metrics and fetch slots
        self.endpoint_dir = context.spool_dir / slug
        self._client = client
        self._tally = tally
        self._timeout = timeout
        self._hinted: dict[str, asyncio.Task[bytes | None]] = {}

    async def playlist(self, url: str, *, hold: float = 0.0, limit: int) -> str:
        """A playlist; with `hold`, the upstream may keep the request that long (blocking)."""
        self.context.metrics.upstream_requests.labels(kind="playlist").inc()
        timeout = self._timeout + hold if hold else None
        body = await get_bytes(self._client, url, limit=limit, attempts=2, timeout=timeout)
        return body.decode("utf-8", "replace")

    async def file(self, url: str, path: str) -> None:
        """A segment or init section into the spool (skipped when already there)."""
        if await asyncio.to_thread((self.endpoint_dir / path).is_file):
            return  # written by an earlier run; spool files are immutable
        kind = "init" if path.endswith(".mp4") else "segment"
        async with self.context.fetch_slots:
            self.context.metrics.upstream_requests.labels(kind=kind).inc()
            body = await get_bytes(self._client, url, limit=MAX_SEGMENT_BYTES)
        await self.store(path, body, count=kind == "segment")

    async def store(self, path: str, body: bytes, *, count: bool = True) -> None:
        """Write (temp then rename) and cache a spool file whose bytes we hold."""
        mtime_ns = await asyncio.to_thread(write_atomic, self.endpoint_dir / path, body)
        self.context.cache.put_bytes(f"{self.slug}/{path}", body, mtime_ns)
        if count:
            self._tally.segments += 1
            self._tally.bytes += len(body)
            self.context.metrics.segments_mirrored.inc()
            self.context.metrics.bytes_mirrored.inc(len(body))

    async def part(self, url: str, path: str) -> bytes:
        """A listed part: from its hinted request when one is under way, else fetched now."""
        task = self._hinted.pop(path, None)
        body = await task if task is not None else None
        if body is None:
            body = await self._get_part(url, None)
        self._tally.parts += 1
        self.context.metrics.parts_mirrored.inc()
        return body

    def hint(self, url: str, path: str, hold: float) -> None:
        """The upstream's preload hint: request it now (held upstream until complete)."""
        for other in [p for p in self._hinted if p != path]:
            self._hinted.pop(other).cancel()
        if path not in self._hinted:
            self._hinted[path] = asyncio.create_task(self._hinted_part(url, hold))

    async def _hinted_part(self, url: str, hold: float) -> bytes | None:
        try:
            return await self._get_part(url, self._timeout + hold)
        except (FetchError, httpx.HTTPError) as exc:
            log.debug("%s: hinted part %s: %s", self.slug, url, exc)
            return None  # withdrawn or failed: fetched again once listed

    async def _get_part(self, url: str, timeout: float | None) -> bytes:
        self.context.metrics.upstream_requests.labels(kind="part").inc()
        return await get_bytes(self._client, url, limit=MAX_PART_BYTES, attempts=2, timeout=timeout)

    async def close(self) -> None:
        tasks = list(self._hinted.values())
        self._hinted.clear()
        await cancel_and_wait(*tasks)

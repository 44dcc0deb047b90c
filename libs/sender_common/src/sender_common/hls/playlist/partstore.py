"""Parts of the newest segments, held in memory and served from there (LL-HLS).

Keys are spool-relative paths (`{endpoint}/{generation}/{rendition}/{name}`). A path may be
*hinted* before it exists (EXT-X-PRELOAD-HINT): a request for it waits until the part is
put, or the hint is withdrawn (RFC 8216bis 6.2.6: the server blocks such a request).
"""

from __future__ import annotations

import asyncio
import contextlib

from sender_common.hls.serve.spoolcache import CachedFile, SizedFiles, content_type_for


class PartStore:
    """Bytes of recent parts by path, bounded in total size (oldest first out)."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        self._parts = SizedFiles(max_bytes, keep_newest=True)
        self._hints: dict[str, asyncio.Future[CachedFile | None]] = {}

    def __len__(self) -> int:
        return len(self._parts)

    @property
    def nbytes(self) -> int:
        return self._parts.nbytes

    def get(self, rel: str) -> CachedFile | None:
        return self._parts.get(rel)

    def put(self, rel: str, body: bytes) -> None:
        entry = CachedFile(body, content_type_for(rel) or "video/iso.segment", "", 0, True)
        self._parts.put(rel, entry)
        fut = self._hints.pop(rel, None)
        if fut is not None and not fut.done():
            fut.set_result(entry)

    def drop(self, rel: str) -> None:
        self._parts.drop(rel)

    def drop_prefix(self, prefix: str) -> None:
        self._parts.drop_prefix(prefix)
        for rel in [r for r in self._hints if r.startswith(prefix)]:
            self.unhint(rel)

    def hint(self, rel: str) -> None:
        """`rel` is the next part: requests for it wait instead of getting a 404."""
        if rel not in self._parts and rel not in self._hints:
            self._hints[rel] = asyncio.get_running_loop().create_future()

    def unhint(self, rel: str) -> None:
        fut = self._hints.pop(rel, None)
        if fut is not None and not fut.done():
            fut.set_result(None)

    def future(self, rel: str) -> asyncio.Future[CachedFile | None] | None:
        """What a request for the hinted `rel` waits on (None: not hinted)."""
        return self._hints.get(rel)

    def hinted(self, rel: str) -> bool:
        return rel in self._hints

    async def wait(self, rel: str, timeout: float) -> CachedFile | None:
        """The part's bytes once put; None if the hint is withdrawn or time runs out."""
        body = self._parts.get(rel)
        if body is not None:
            return body
        fut = self._hints.get(rel)
        if fut is None:
            return None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                return await asyncio.shield(fut)  # the future is shared by every waiter
        return None

    def close(self) -> None:
        """Release every waiting request (shutdown)."""
        for rel in list(self._hints):
            self.unhint(rel)

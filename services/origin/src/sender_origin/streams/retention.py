"""The retention sweep: ended generations past retention go, then the oldest recordings
until the spool fits `SENDER_RECORDINGS_MAX_BYTES` (never a live generation); how any
generation's spool is removed."""

from __future__ import annotations

import asyncio
import logging
import shutil

from sender_origin import recordings
from sender_origin.database import generations, in_session
from sender_origin.streams.manager import StreamManager

log = logging.getLogger(__name__)


class RetentionSweep:
    def __init__(self, manager: StreamManager) -> None:
        self.manager = manager

    async def __call__(self) -> int:
        m = self.manager
        settings = m.settings
        rows = await in_session(
            m.engine,
            generations.expired_generations,
            retention_seconds=settings.hls.retention_seconds,
        )
        for slug, number, gid in rows:
            await self._remove(slug, number, gid)
            log.info("%s: generation %d spool removed after retention", slug, number)
        kept = await in_session(m.engine, generations.kept_generations)
        total, over = await asyncio.to_thread(
            recordings.over_budget, settings.spool_dir, kept, settings.recordings_max_bytes
        )
        for slug, number, gid in over:
            await self._remove(slug, number, gid)
            log.info("%s: recording %d removed: over the recordings budget", slug, number)
        m.metrics.recordings_bytes.set(total)
        m.cache.sweep()
        return len(rows) + len(over)

    async def _remove(self, slug: str, number: int, gid: int) -> None:
        await remove_spool(self.manager, slug, number, gid)
        self.manager.metrics.generations_cleaned.inc()


async def remove_spool(m: StreamManager, slug: str, number: int, generation_id: int) -> None:
    """Generation `number` of `slug` keeps nothing any more: its folder, the cached files and
    DVR index under it, and the row saying it is kept (retention, budget, or a user's delete)."""
    await asyncio.to_thread(shutil.rmtree, m.settings.spool_dir / slug / str(number), True)
    m.cache.forget_prefix(f"{slug}/{number}/")
    m.dvr.forget(slug, number)
    await in_session(m.engine, generations.mark_spool_removed, generation_id=generation_id)

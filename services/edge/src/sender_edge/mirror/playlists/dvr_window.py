"""An endpoint's DVR window as its upstream states it (`GET /api/v1/playback/{slug}`).

The edge's playback answer carries the upstream's own figure (the configured window, as the
origin reports it), asked once per session and again after `ttl` seconds, so a changed
window shows without asking on every playback request.
"""

from __future__ import annotations

import logging
import time

import httpx
from pydantic import ValidationError

from sender_common.errors import SenderError
from sender_common.playback import Playback
from sender_common.tasks import SingleFlight
from sender_edge.mirror.follow.worker import MirrorWorker
from sender_edge.mirror.upstream.fetch import get_bytes

log = logging.getLogger(__name__)
MAX_ANSWER_BYTES = 64 * 1024  # the playback API's answer for one endpoint


class DvrWindows:
    """Each session's upstream DVR window (seconds; None: off or not known)."""

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._held: dict[str, tuple[MirrorWorker, float, float | None]] = {}
        self._flights = SingleFlight("dvr-window")

    async def of(self, worker: MirrorWorker) -> float | None:
        held = self._held.get(worker.slug)
        if held is not None and held[0] is worker and time.monotonic() < held[1]:
            return held[2]
        seconds = await self._flights.run(worker.slug, lambda: self._ask(worker))
        self._held[worker.slug] = (worker, time.monotonic() + self.ttl, seconds)
        return seconds

    async def _ask(self, worker: MirrorWorker) -> float | None:
        url = f"{worker.options.upstream_url.rstrip('/')}/api/v1/playback/{worker.slug}"
        try:
            body = await get_bytes(worker.upstream.client, url, limit=MAX_ANSWER_BYTES, attempts=1)
            return Playback.model_validate_json(body).dvr_window_seconds
        except (SenderError, httpx.HTTPError, ValidationError) as exc:
            log.info("%s: upstream DVR window unknown: %s", worker.slug, exc)
            return None

    def keep(self, slugs: set[str]) -> None:
        """Forget the sessions no longer running."""
        for slug in [s for s in self._held if s not in slugs]:
            del self._held[slug]

    async def close(self) -> None:
        await self._flights.close()

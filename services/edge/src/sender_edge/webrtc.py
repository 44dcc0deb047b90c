"""The edge's WebRTC source: one upstream feed per endpoint, however many WHEP viewers.

A WHEP offer for an endpoint makes sure the edge mirrors it (the same on-demand start an
HLS request makes) and opens `GET {upstream}/sender/whep/{endpoint}/feed`: the upstream's
encoded frames as they come, parsed into this edge's hub for its sessions (and for edges
below it, which read this edge's feed in turn). No part or segment boundary is waited for.
A feed nobody subscribes to for `FEED_IDLE_SECONDS` is closed; one that fails reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx

from sender_common.children import Child, Periodic
from sender_common.webrtc import FeedReader, MediaHub
from sender_common.webrtc.frames import FeedError
from sender_edge.mirror.sessions.manager import EdgeManager

log = logging.getLogger(__name__)
FEED_IDLE_SECONDS = 10.0
RETRY_SECONDS = 1.0
READ_TIMEOUT = 10.0  # no frame this long: reconnect (the upstream stream may have ended)


class UpstreamFeeds:
    """Runs the feed of every endpoint this edge's WHEP viewers watch."""

    def __init__(self, manager: EdgeManager, hub: MediaHub) -> None:
        self.manager = manager
        self.hub = hub
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.sweeper = Periodic("webrtc-feeds", 1.0, self.sweep)
        self.connects = 0

    def children(self) -> list[Child]:
        return [Child("webrtc-feeds", self.sweeper.start, self.stop)]

    async def knows(self, slug: str) -> bool:
        """Whether `slug` can be played here; starts its mirror (on demand) and its feed."""
        await self.manager.on_miss(slug)  # may not be ready yet: the feed waits for it
        if not self.manager.serves(slug):
            return False
        self.ensure(slug)
        return True

    def ensure(self, slug: str) -> None:
        self.hub.expect(slug)
        task = self.tasks.get(slug)
        if task is None or task.done():
            self.tasks[slug] = asyncio.create_task(self._run(slug), name=f"feed:{slug}")

    def keep(self, slug: str) -> None:
        """A live session: the on-demand mirror behind it stays wanted, its feed open."""
        self.manager.on_demand.touch(slug)
        if self.hub.subscribers(slug) == 0:
            self.hub.expect(slug)  # still connecting
        self.ensure(slug)

    async def sweep(self) -> None:
        for slug, task in list(self.tasks.items()):
            if task.done() or self.hub.idle_for(slug) > FEED_IDLE_SECONDS:
                await self._cancel(slug)

    async def _cancel(self, slug: str) -> None:
        task = self.tasks.pop(slug, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def stop(self) -> None:
        await self.sweeper.stop()
        for slug in list(self.tasks):
            await self._cancel(slug)

    async def _run(self, slug: str) -> None:
        while self.hub.idle_for(slug) <= FEED_IDLE_SECONDS:
            worker = self.manager.running.get(slug)
            if worker is None:
                return  # no longer mirrored here
            url = f"{worker.options.upstream_url}/sender/whep/{slug}/feed"
            client = self.manager.running.client(verify=worker.options.verify_tls)
            try:
                await self._follow(client, url, slug)
            except (httpx.HTTPError, FeedError) as exc:
                log.info("%s: upstream feed: %s", slug, type(exc).__name__)
            await asyncio.sleep(RETRY_SECONDS)

    async def _follow(self, client: httpx.AsyncClient, url: str, slug: str) -> None:
        timeout = httpx.Timeout(READ_TIMEOUT, connect=5.0)
        async with client.stream("GET", url, timeout=timeout) as response:
            response.raise_for_status()
            self.connects += 1
            reader = FeedReader()
            async for chunk in response.aiter_raw():
                for frame in reader.feed(chunk):
                    self.hub.publish(slug, frame)
                if self.hub.idle_for(slug) > FEED_IDLE_SECONDS:
                    return

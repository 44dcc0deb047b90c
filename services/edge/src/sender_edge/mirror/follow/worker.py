"""The mirror worker of one endpoint: discovers its renditions, runs one follower per
rendition, reports, ends a frozen live window, and serves the edge's playlists."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from datetime import datetime

import httpx

from sender_common.hls.playlist.live import LivePlaylist, LiveWait
from sender_common.hls.playlist.master import MasterPlaylist
from sender_common.hls.serve.request import Blocking
from sender_common.models import utcnow
from sender_common.tasks import cancel_and_wait, wait_set
from sender_edge.mirror.follow.context import MirrorContext
from sender_edge.mirror.follow.follower import Follower, Hooks
from sender_edge.mirror.follow.spool import sweep_generations
from sender_edge.mirror.playlists import render
from sender_edge.mirror.sessions.models import SessionOptions
from sender_edge.mirror.upstream.discovery import SINGLE, VARIANT, discover
from sender_edge.mirror.upstream.downloader import Downloader, Tally
from sender_edge.mirror.upstream.failures import (
    MAX_BACKOFF,
    Failures,
    MasterSeenError,
    classify,
)
from sender_edge.mirror.upstream.fetch import EndpointSource, hls_root

log = logging.getLogger(__name__)
REDISCOVER_SECONDS = 10.0  # how often the upstream's variants are checked again


class MirrorWorker:
    """One asyncio task following `{upstream}/sender/hls/{slug}/live.m3u8`."""

    def __init__(
        self,
        slug: str,
        options: SessionOptions,
        *,
        client: httpx.AsyncClient,
        context: MirrorContext,
    ) -> None:
        self.slug = slug
        self.options = options
        self._client = client
        self._ctx = context
        self.timing = context.timing
        self._dir = context.spool_dir / slug
        self._root = hls_root(options.upstream_url, slug)
        self.followers: dict[str, Follower] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.master: MasterPlaylist | None = None
        self.failures = Failures()
        self.tally = Tally()
        self.last_fetch_at: datetime | None = None
        self._last_progress: float | None = None
        self._locked_generation: int | None = None
        self._rediscover = asyncio.Event()
        self.first_ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"mirror-{self.slug}")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        for name in list(self.followers):
            await self._drop(name)

    async def wait_ready(self, timeout: float) -> bool:
        return await wait_set(self.first_ready, timeout)

    async def _run(self) -> None:
        failures = 0
        while True:
            self._rediscover.clear()
            try:
                await self._discover()
                failures, pause = 0, self.rediscover_after
            except Exception as exc:  # the worker's top loop outlives any one bad reload
                failures += 1
                backoff = self.reload_interval * (1 << min(failures, 6))
                pause = max(self._failed(exc, None), min(MAX_BACKOFF, backoff))
            deadline = time.monotonic() + pause
            while (left := deadline - time.monotonic()) > 0:
                self.check_frozen()
                if await wait_set(self._rediscover, min(left, self.reload_interval)):
                    break

    @property
    def rediscover_after(self) -> float:
        """Seconds until the upstream's variants are checked again: never for an upstream
        without a master playlist (a master appearing there raises MasterSeenError)."""
        return REDISCOVER_SECONDS if self.master is not None else math.inf

    @property
    def target(self) -> float:
        targets = [f.target for f in self.followers.values() if f.started]
        return float(max(targets)) if targets else self.timing.segment_seconds

    @property
    def reload_interval(self) -> float:
        """About half the target duration (RFC 8216 6.3.4)."""
        return max(0.25, self.target / 2)

    def _failed(self, exc: BaseException, rendition: str | None) -> float:
        """Record a failed upstream request (of discovery, or of a rendition's follower);
        returns the least delay before the next one."""
        if isinstance(exc, MasterSeenError):
            self._rediscover.set()
        failure = classify(exc, self.reload_interval, self.timing.segment_seconds)
        if failure.kind == "internal":
            log.error("%s: mirror reload crashed", self.slug, exc_info=exc)
        if failure.message != self.failures.last_error:
            log.warning("%s: %s", self.slug, failure.message)
        self.failures.record(rendition, failure)
        self._ctx.metrics.upstream_errors.labels(kind=failure.kind).inc()
        return failure.least

    def _ok(self, rendition: str | None) -> None:
        self.failures.clear(rendition)
        self.last_fetch_at = utcnow()

    def _progress(self) -> None:
        self._last_progress = time.monotonic()
        self.first_ready.set()

    def _accept(self, path: str) -> bool:
        """Whether a path's generation is mirrored (all, or the first one seen)."""
        if self.options.follow_generations:
            return True
        generation = int(path.split("/", 1)[0])
        if self._locked_generation is None:
            self._locked_generation = generation
        return generation == self._locked_generation

    # -- renditions ---------------------------------------------------------------------

    async def _discover(self) -> None:
        """Follow the upstream's media playlist or its chosen variants, and only those."""
        self._ctx.metrics.upstream_requests.labels(kind="playlist").inc()
        wanted, self.master = await discover(self._client, self._root, self.options.renditions)
        for name in [n for n, f in self.followers.items() if wanted.get(n) != f.url]:
            await self._drop(name)
        for name, url in wanted.items():
            if name not in self.followers:
                self._follow(name, url)
        self._ok(None)

    def _follow(self, name: str, url: str) -> None:
        t = self.timing
        playlist = LivePlaylist(
            window=t.window,
            segment_target=t.segment_seconds,
            part_target=t.part_seconds,
            store=self._ctx.parts,
            store_prefix=f"{self.slug}/",
        )
        downloader = Downloader(
            self.slug,
            self._ctx,
            client=self._client,
            tally=self.tally,
            timeout=self._client.timeout.read or 5.0,
        )
        follower = Follower(
            name,
            url,
            root=self._root,
            playlist=playlist,
            downloader=downloader,
            window=t.window,
            hooks=Hooks(
                self._progress,
                lambda: self._ok(name),
                lambda exc: self._failed(exc, name),
                self._accept,
            ),
        )
        self.followers[name] = follower
        label = f"mirror-{self.slug}-{name or 'live'}"
        self._tasks[name] = asyncio.create_task(follower.run(), name=label)

    async def _drop(self, name: str) -> None:
        task = self._tasks.pop(name, None)
        follower = self.followers.pop(name, None)
        self.failures.clear(name)
        await cancel_and_wait(task)
        if follower is not None:
            await follower.close()

    # -- what it serves and reports -----------------------------------------------------

    @property
    def upstream(self) -> EndpointSource:
        """The client and `{upstream}/sender/hls/{slug}/` root this worker fetches with."""
        return EndpointSource(self._client, self._root)

    def frozen(self) -> bool:
        """The upstream stalled past stale plus the grace period: never serve that as live."""
        lag = self.lag_seconds()
        limit = self.timing.stale_after_targets * self.target + self.timing.end_after_seconds
        return lag is not None and lag > limit

    def check_frozen(self) -> None:
        """End the live window of a frozen upstream (waiting viewers get ENDLIST at once)."""
        if self.frozen():
            for follower in self.followers.values():
                if follower.started and not follower.playlist.ended:
                    follower.playlist.end()  # the next part or segment from upstream reopens it

    async def render(self, name: str, block: Blocking | None = None) -> bytes | None:
        """`live.m3u8` or `live/{rendition}.m3u8`, only over media the edge holds."""
        found = self.render_now(name, block)
        return await found.result() if isinstance(found, LiveWait) else found

    def render_now(self, name: str, block: Blocking | None = None) -> bytes | LiveWait | None:
        """`render` without waiting: the wait of a blocking reload not satisfied yet."""
        self.check_frozen()
        low_latency = self.timing.low_latency
        if self.master is None:
            single = self.followers.get(SINGLE)
            if name != "live.m3u8" or single is None:
                return None
            return render.media_now(single, "", block, low_latency=low_latency)
        if name == "live.m3u8":
            return render.master(self.master.variants, self.followers)
        m = VARIANT.match(name)
        follower = self.followers.get(m.group(1)) if m else None
        if follower is None:
            return None
        others = [(n, f) for n, f in self.followers.items() if f is not follower]
        return render.media_now(follower, "../", block, low_latency=low_latency, others=others)

    @property
    def generation(self) -> int | None:
        gens: list[int] = []
        for f in self.followers.values():
            pl = f.playlist
            newest = pl.parts[-1].uri if pl.parts else pl.segments[-1].uri if pl.segments else None
            if f.started and newest is not None:
                gens.append(int(newest.split("/", 1)[0]))
        return max(gens) if gens else None

    def lag_seconds(self) -> float | None:
        if self._last_progress is None:
            return None
        return round(time.monotonic() - self._last_progress, 3)

    def sweep(self) -> int:
        """Remove generations other than the current one untouched for the retention period."""
        gone = sweep_generations(self._dir, self.generation, self.timing.retention_seconds)
        for number in gone:
            self._ctx.cache.forget_prefix(f"{self.slug}/{number}/")
        return len(gone)

"""Edge sessions: the wanted ones (database) and their running mirror workers (memory)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from pydantic import ValidationError

from sender_common.database import DatabaseChild
from sender_common.errors import (
    InvalidInputError,
    NotFoundError,
    SenderError,
    UnavailableError,
)
from sender_common.hls.playlist.partstore import PartStore
from sender_common.hls.serve.request import LATER, Blocking, LiveAnswer
from sender_common.hls.serve.spoolcache import CachedFile, SpoolCache
from sender_common.recent import RecentMisses
from sender_common.tasks import SingleFlight
from sender_edge.edge_metrics import EdgeMetrics
from sender_edge.mirror.follow.running import RunningMirrors
from sender_edge.mirror.follow.worker import MirrorWorker
from sender_edge.mirror.playlists.dvr_pull import DvrPullThrough
from sender_edge.mirror.playlists.dvr_window import DvrWindows
from sender_edge.mirror.sessions import store
from sender_edge.mirror.sessions.limits import check_room
from sender_edge.mirror.sessions.models import EdgeSessionCreate, EdgeSessionStatus, SessionOptions
from sender_edge.mirror.sessions.ondemand import ON_DEMAND_KEY, OnDemandSessions
from sender_edge.mirror.sessions.status import session_status, stored_status
from sender_edge.mirror.upstream.discovery import upstream_knows
from sender_edge.mirror.upstream.policy import Resolver, UpstreamPolicy
from sender_edge.settings import EdgeSettings

log = logging.getLogger(__name__)


class EdgeManager:
    """Starts, stops and reports mirror workers; never two for one endpoint."""

    def __init__(
        self,
        settings: EdgeSettings,
        db: DatabaseChild,
        cache: SpoolCache,
        metrics: EdgeMetrics,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
        parts: PartStore | None = None,
    ) -> None:
        self.settings = settings
        self.policy = UpstreamPolicy.for_edge(
            settings.upstream_allow, settings.upstream_url, resolver
        )
        self.on_demand = OnDemandSessions(settings.on_demand_idle_seconds)
        self.db = db
        self.cache = cache
        self.metrics = metrics
        self.parts = parts if parts is not None else PartStore()
        self.running = RunningMirrors(
            settings,
            cache=cache,
            metrics=metrics,
            parts=self.parts,
            policy=self.policy,
            transport=transport,
        )
        self._stored: dict[str, store.StoredSession] = {}
        self._unknown = RecentMisses(ttl=5.0)
        self._misses = SingleFlight("on-miss")
        self._lock = asyncio.Lock()
        self.dvr = DvrPullThrough(self.running.context, miss_ttl=settings.hls.segment_seconds)
        self.dvr_windows = DvrWindows()
        self.timing = self.running.timing

    def serves(self, slug: str) -> bool:
        """An endpoint with a mirror worker on this edge."""
        return slug in self.running

    def lags(self) -> dict[str, float]:
        """Each running mirror's seconds since its last progress (those that made any)."""
        return self.running.lags()

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        self.running.open()

    async def stop(self) -> None:
        await self._misses.close()  # no viewer's start after the workers stopped
        await self.dvr_windows.close()
        async with self._lock:
            await self.running.close()
        await self.dvr.close()

    async def reconcile(self) -> None:
        """Run a worker for every wanted session, none for the others (also after a reboot)."""
        if not self.db.schema_ready.is_set():
            return
        async with self._lock:  # read under the lock: a concurrent stop must not be undone
            rows = await asyncio.to_thread(store.load_sessions, self.db.engine)
            self._stored = {r.slug: r for r in rows}
            for row in rows:
                if not row.desired:
                    await self.running.stop(row.slug)
                    continue
                if row.options.get(ON_DEMAND_KEY):
                    self.on_demand.adopt(row.slug)
                else:
                    self.on_demand.forget(row.slug)
                try:
                    options = SessionOptions.model_validate(row.options)
                except ValidationError:
                    log.warning("%s: stored session options are unusable; skipped", row.slug)
                    continue
                running = self.running.get(row.slug)
                if running is not None and running.options != options:
                    await self.running.stop(row.slug)  # changed elsewhere (a shared database)
                self.running.ensure(row.slug, options)

    async def sweep(self) -> int:
        """Retention: old generations' spool of the running sessions."""
        removed = await self.running.sweep()
        removed += await self.dvr.sweep()
        self.dvr_windows.keep(set(self.running))
        self.cache.sweep()
        return removed

    # -- persistence (call with the lock held) -----------------------------------------

    async def _save(self, slug: str, desired: bool, options: dict[str, Any] | None) -> bool:
        if not self.db.schema_ready.is_set():
            raise UnavailableError("the edge database is not ready yet", retry_after=2)
        saved = await asyncio.to_thread(
            store.save_session, self.db.engine, slug=slug, desired=desired, options=options
        )
        row = self._stored.get(slug)
        if saved:
            opts = options if options is not None else (row.options if row else {})
            self._stored[slug] = store.StoredSession(slug, desired, opts)
        return saved

    # -- management ---------------------------------------------------------------------

    def _check_room(self, slug: str, *, on_demand: bool) -> None:
        wanted = {s for s, row in self._stored.items() if row.desired}
        retry = max(1, round(self.on_demand.idle_seconds))
        limit = self.settings.edge_max_sessions
        check_room(slug, wanted, set(self.running), limit, on_demand=on_demand, retry_after=retry)

    async def start_session(
        self, data: EdgeSessionCreate, *, on_demand: bool = False
    ) -> EdgeSessionStatus:
        """Persist and run; idempotent (same options: the running worker is reported).

        Operators' sessions run until stopped; viewers' (`on_demand`) stop when idle."""
        upstream = data.upstream_url or self.settings.upstream_url
        if upstream is None:
            raise InvalidInputError("upstream_url is required (no SENDER_UPSTREAM_URL is set)")
        await self.policy.check_url(upstream)
        options = SessionOptions(
            upstream_url=upstream,
            verify_tls=data.verify_tls,
            renditions=data.renditions,
            follow_generations=data.follow_generations,
        )
        stored = {**options.model_dump(), **({ON_DEMAND_KEY: True} if on_demand else {})}
        async with self._lock:
            self._check_room(data.endpoint, on_demand=on_demand)
            await self._save(data.endpoint, True, stored)
            if on_demand:
                self.on_demand.started(data.endpoint)
            else:
                self.on_demand.forget(data.endpoint)
            current = self.running.get(data.endpoint)
            if current is not None and current.options != options:
                await self.running.stop(data.endpoint)
            worker = self.running.ensure(data.endpoint, options)
        return self.status_of(worker, desired=True)

    async def stop_session(self, slug: str) -> EdgeSessionStatus:
        async with self._lock:
            self.on_demand.forget(slug)
            worker = self.running.get(slug)
            if not await self._save(slug, False, None) and worker is None:
                raise NotFoundError(f"no edge session {slug!r}")
            await self.running.stop(slug)
        return self._stored_status(slug)

    def status(self, slug: str) -> EdgeSessionStatus:
        worker = self.running.get(slug)
        if worker is not None:
            return self.status_of(worker, desired=True)
        if slug in self._stored:
            return self._stored_status(slug)
        raise NotFoundError(f"no edge session {slug!r}")

    def statuses(self) -> list[EdgeSessionStatus]:
        slugs = sorted(set(self.running) | set(self._stored))
        return [self.status(slug) for slug in slugs]

    def status_of(self, worker: MirrorWorker, *, desired: bool) -> EdgeSessionStatus:
        return session_status(worker, desired=desired)

    def _stored_status(self, slug: str) -> EdgeSessionStatus:
        return stored_status(slug, self._stored.get(slug))

    # -- serving ------------------------------------------------------------------------

    def live_now(self, slug: str, name: str, block: Blocking | None) -> LiveAnswer:
        """`live_playlist` without waiting: LATER for DVR and endpoints not mirrored yet."""
        worker = self.running.get(slug)
        if worker is None or name.startswith("dvr"):
            return LATER
        self.on_demand.touch(slug)
        return worker.render_now(name, block)

    async def live_playlist(self, slug: str, name: str, block: Blocking | None) -> bytes | None:
        worker = self.running.get(slug)
        if worker is None:
            return None
        self.on_demand.touch(slug)  # a viewer keeps a viewer-started mirror alive
        if name.startswith("dvr"):
            return await self.dvr.playlist(worker.upstream, slug, name)
        return await worker.render(name, block)

    async def dvr_file(self, slug: str, rel: str) -> CachedFile | None:
        """A DVR segment or init section the spool lacks, pulled through from the upstream."""
        worker = self.running.get(slug)
        return None if worker is None else await self.dvr.file(worker.upstream, slug, rel)

    async def dvr_seconds(self, slug: str) -> float | None:
        """The upstream's DVR window for this endpoint (None: no session or no DVR)."""
        worker = self.running.get(slug)
        return None if worker is None else await self.dvr_windows.of(worker)

    async def on_miss(self, slug: str) -> bool:
        """A viewer asked for a live playlist we lack: pull through from the default upstream."""
        worker = self.running.get(slug)
        if worker is None:
            # the first viewers of a name share one check and one start
            if not await self._misses.run(slug, lambda: self._start_on_demand(slug)):
                return False
            worker = self.running.get(slug)
            if worker is None:
                return False
        return await worker.wait_ready(self.timing.segment_seconds)

    async def _start_on_demand(self, slug: str) -> bool:
        """Start a viewer's session for `slug` when the default upstream knows the name."""
        upstream = self.settings.upstream_url
        if slug in self.running:
            return True  # started meanwhile
        row = self._stored.get(slug)
        if not self.settings.on_demand or upstream is None or row is not None:
            return False  # stopped by an operator, or wanted and starting: not ours
        if not self.db.schema_ready.is_set() or slug in self._unknown:
            return False
        if not await upstream_knows(self.running.client(), upstream, slug):
            self._unknown.add(slug)  # do not ask the upstream again on every request
            return False
        create = EdgeSessionCreate(endpoint=slug, upstream_url=upstream)
        try:
            await self.start_session(create, on_demand=True)
        except UnavailableError:
            raise  # the viewer gets 503 with Retry-After
        except SenderError:
            return False
        return True

    async def stop_idle(self) -> list[str]:
        """Stop and forget viewer-started sessions nobody asked for in the idle period."""
        stopped = []
        for slug in self.on_demand.idle():
            async with self._lock:
                if not self.on_demand.is_idle(slug):
                    continue  # a viewer came back, or an operator took it over
                self.on_demand.forget(slug)
                await self.running.stop(slug)
                if self.db.schema_ready.is_set():
                    await asyncio.to_thread(store.delete_session, self.db.engine, slug=slug)
                self._stored.pop(slug, None)
            log.info(
                "%s: on-demand mirror idle for %.0fs: stopped", slug, self.on_demand.idle_seconds
            )
            stopped.append(slug)
        return stopped

"""Origin media sessions: which endpoints want a stream, who publishes, which generation."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from pathlib import Path

from sqlalchemy.engine import Engine

from sender_common.hls.playlist.partstore import PartStore
from sender_common.hls.serve.spoolcache import SpoolCache
from sender_common.models import SessionState
from sender_origin.database import endpoints, generations, in_session, media_sessions
from sender_origin.ingest.admission import Admission, PublishRefused
from sender_origin.metrics import OriginMetrics
from sender_origin.settings import OriginSettings
from sender_origin.streams.dvr_book import DvrBook
from sender_origin.streams.events import EventKind, StreamEvents
from sender_origin.streams.live import LivePlaylists
from sender_origin.streams.lookup import RuntimeLookup
from sender_origin.streams.playlists import StreamPlaylists
from sender_origin.streams.publish import LivePublish, PublishInfo
from sender_origin.streams.publish_factory import PublishFactory
from sender_origin.streams.runtime import (
    EndpointRuntime,
    StateHook,
    refusal,
    report,
    session_state,
)
from sender_origin.streams.slate import SlateLoop, SlateMaker
from sender_origin.streams.status import StreamStatus, status_of

log = logging.getLogger(__name__)


class StreamManager:
    def __init__(
        self,
        settings: OriginSettings,
        engine: Engine,
        ffmpeg: str,
        cache: SpoolCache,
        metrics: OriginMetrics,
        *,
        on_state: StateHook | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.ffmpeg = ffmpeg
        self.cache = cache
        self.metrics = metrics
        self.live = LivePlaylists(settings.hls, PartStore())
        self.dvr = DvrBook(settings.spool_dir)
        self.slate = SlateMaker(ffmpeg, settings.data_dir, settings.hls.segment_seconds)
        self.slate_loop = SlateLoop(
            self.slate, self.live, cache, settings.spool_dir, settings.hls.window_segments
        )
        self.runtimes = RuntimeLookup(engine, settings.hls_dvr_seconds)
        self.events = StreamEvents()
        self.on_state = on_state
        self.publishes = PublishFactory(
            settings, ffmpeg, (self.live, cache, self.dvr), metrics, self.events
        )
        self.playlists = StreamPlaylists(self.runtimes, self.live, self.dvr, self.slate_loop)
        self._lock = asyncio.Lock()

    async def endpoint_updated(self, slug: str) -> None:
        """Settings of an endpoint changed: a known runtime takes them at once."""
        if slug in self.runtimes:
            await self.runtimes.load(slug)

    def endpoint_created(self, slug: str) -> None:
        """Forget a recent miss, so a new endpoint's playlist is found at once."""
        self.runtimes.created(slug)

    def serves(self, slug: str) -> bool:
        """An endpoint this process has looked up (a player loads playback metadata first)."""
        return slug in self.runtimes

    # -- ingest -------------------------------------------------------------------------

    def admission(self, key: str) -> Admission:
        """A first, synchronous look at a publish for an ingest that must answer during its
        handshake (SRT, on libsrt's thread); `authorize` decides again once connected."""
        endpoint, live, desired = self.runtimes.by_key(key)
        reason = "unknown_key" if endpoint is None else refusal(endpoint, live, desired)
        if reason is not None:
            self.metrics.publish_refused.labels(reason=reason).inc()
            return Admission(reason)
        assert endpoint is not None
        return Admission(None, endpoint.passphrase)

    async def authorize(
        self, app: str, key: str, peer: str, *, input_format: str = "flv"
    ) -> LivePublish:
        """Accept a publish for the endpoint owning `key`, starting a new generation."""
        del app
        endpoint = await in_session(self.engine, endpoints.find_by_key, key=key)
        if endpoint is None or endpoint.id is None:
            self.metrics.publish_refused.labels(reason="unknown_key").inc()
            raise PublishRefused(f"unknown stream key from {peer}")
        async with self._lock:
            rt = await self.runtimes.load(endpoint.slug)
            reason = refusal(endpoint, rt.publish is not None, rt.desired)
            if reason is not None:
                self.metrics.publish_refused.labels(reason=reason).inc()
                self.events.record(endpoint.slug, EventKind.publish_refused, detail=reason)
                raise PublishRefused(f"endpoint {endpoint.slug!r}: {reason}")
            if rt.in_grace and rt.generation is not None:
                rt.cancel_grace()
                number = rt.generation  # a reconnect inside the grace period continues it
                self.metrics.reconnects.inc()
                self.events.record(endpoint.slug, EventKind.reconnect, generation=number)
            else:
                number = await in_session(
                    self.engine,
                    generations.open_generation,
                    endpoint_id=endpoint.id,
                    renditions=rt.renditions,
                )
            publish = self.publishes.make(
                rt, number, peer, on_closed=self._publish_closed, input_format=input_format
            )
            rt.publish, rt.generation, rt.generation_live = publish, number, True
            publish.start()
            self._report(rt)
        self.metrics.publishes.inc()
        self.metrics.active_ingests.inc()
        log.info("%s: publish from %s accepted, generation %d", endpoint.slug, peer, number)
        self.events.record(
            endpoint.slug, EventKind.publish_accepted, generation=number, detail=f"from {peer}"
        )
        return publish

    async def _publish_closed(self, publish: LivePublish) -> None:
        """The publisher left: hold the generation open for the grace period, then end it."""
        info = publish.info
        self.metrics.active_ingests.dec()
        rt = self.runtimes.get(info.slug)
        grace = self.settings.reconnect_grace_seconds
        self.events.record(info.slug, EventKind.publisher_left, generation=info.generation)
        if rt is not None and rt.publish is publish:
            rt.publish = None
            if rt.desired and not publish.no_grace and grace > 0:
                rt.grace_until = time.time() + grace
                rt.grace = asyncio.create_task(
                    self._grace_expiry(rt, info, grace), name=f"grace:{info.slug}"
                )
                self._report(rt)
                log.info(
                    "%s: publisher left; generation %d open for %.0fs",
                    info.slug,
                    info.generation,
                    grace,
                )
                return
        await self._end_generation(rt, info)

    async def _grace_expiry(self, rt: EndpointRuntime, info: PublishInfo, grace: float) -> None:
        await asyncio.sleep(grace)
        rt.grace, rt.grace_until = None, None
        await self._end_generation(rt, info)

    async def _end_generation(self, rt: EndpointRuntime | None, info: PublishInfo) -> None:
        await in_session(
            self.engine,
            generations.close_generation,
            endpoint_id=info.endpoint_id,
            number=info.generation,
        )
        if rt is not None and rt.generation == info.generation:
            rt.generation_live = False
            if rt.publish is None:
                self.live.end(info.slug)
            self._report(rt)
        log.info("%s: generation %d ended", info.slug, info.generation)
        self.events.record(info.slug, EventKind.generation_ended, generation=info.generation)

    # -- management ---------------------------------------------------------------------

    async def start(self, slug: str) -> StreamStatus:
        """Want the stream; idempotent: a running session is reported as it is."""
        rt = await self.runtimes.load(slug)
        if not rt.desired:
            await in_session(self.engine, media_sessions.set_desired, slug=slug, desired=True)
            rt.desired = True
            self._report(rt)
            self.events.record(slug, EventKind.started)
        return self.status_of(rt)

    async def stop(self, slug: str) -> StreamStatus:
        rt = await self.runtimes.load(slug)
        await in_session(self.engine, media_sessions.set_desired, slug=slug, desired=False)
        rt.desired = False
        self.events.record(slug, EventKind.stopped)
        await self._end_publish(rt)
        self._report(rt)
        return self.status_of(rt)

    async def kick(self, slug: str, *, block: bool = False) -> StreamStatus:
        """Disconnect the publisher; with `block`, its key is refused until rotated."""
        rt = await self.runtimes.load(slug)
        if block:
            await in_session(self.engine, endpoints.set_key_blocked, slug=slug, blocked=True)
        if rt.publish is not None:
            self.events.record(slug, EventKind.kicked, detail="key blocked" if block else "")
        await self._end_publish(rt, grace=not block)
        return self.status_of(rt)

    async def _end_publish(self, rt: EndpointRuntime, *, grace: bool = False) -> None:
        publish = rt.publish
        if publish is not None:
            publish.no_grace = not grace
            publish.kick()
            await publish.close()
        if not grace and rt.cancel_grace():
            if rt.generation is not None and rt.generation_live:
                info = PublishInfo(rt.slug, rt.endpoint_id, rt.generation, "", Path())
                await self._end_generation(rt, info)

    async def status(self, slug: str) -> StreamStatus:
        return self.status_of(await self.runtimes.load(slug))

    async def statuses(self) -> list[StreamStatus]:
        return [self.status_of(rt) for rt in self.runtimes.all()]

    def status_of(self, rt: EndpointRuntime) -> StreamStatus:
        status = status_of(rt.slug, session_state(rt), rt.generation, rt.renditions, rt.publish)
        status.reconnect_deadline = rt.grace_until if rt.in_grace else None
        return status

    def _report(self, rt: EndpointRuntime, state: SessionState | None = None) -> None:
        report(self.on_state, rt, state)

    async def forget(self, slug: str) -> None:
        """The endpoint was deleted: end its publish and drop its state and spool."""
        rt = self.runtimes.pop(slug)
        if rt is not None:
            await self._end_publish(rt)
            self._report(rt, SessionState.stopped)
        self.live.forget(slug)
        self.dvr.forget(slug)
        self.slate_loop.forget(slug)
        self.events.forget(slug)
        with contextlib.suppress(KeyError):  # no ingest series for a deleted endpoint
            self.metrics.ingest_bytes.remove(slug)
        self.cache.forget_prefix(f"{slug}/")
        await asyncio.to_thread(shutil.rmtree, self.settings.spool_dir / slug, True)

    # -- lifecycle ----------------------------------------------------------------------

    async def recover(self) -> None:
        closed = await in_session(self.engine, generations.close_stale_generations)
        if closed:
            log.info("closed %d generation(s) left live by a previous run", closed)

    async def shutdown(self) -> None:
        for rt in self.runtimes.all():
            if rt.grace is not None:
                rt.grace.cancel()  # kept: `_end_publish` still ends its generation
        await asyncio.gather(*(self._end_publish(rt) for rt in self.runtimes.all()))
        self.live.close()

    async def tick(self) -> None:
        """Report state changes no call site sees (such as ffmpeg failing); loop the offline
        slate where an endpoint wants one and no one publishes."""
        for rt in self.runtimes.all():
            self._report(rt)
            if rt.publish is None and rt.slate and rt.desired and not rt.in_grace:
                await self.playlists.slate_tick(rt)

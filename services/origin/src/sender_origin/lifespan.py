"""Everything long-lived in the origin, owned by the app lifespan as named children."""

from __future__ import annotations

import asyncio
import functools
import logging
import time

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from sender_common.children import Child, Periodic
from sender_common.errors import NotFoundError
from sender_common.ffmpeg import resolve_ffmpeg
from sender_common.hls.playlist.live import live_changes
from sender_common.hls.serve.app import HlsApp
from sender_common.hls.serve.spoolcache import SpoolCache
from sender_common.models import SessionState
from sender_common.roles import RoleRoutes, RoleRuntime, hls_manifest
from sender_common.tasks import cancel_and_wait
from sender_common.viewers import Viewers
from sender_common.viewers.batch import StreamStateData
from sender_common.webrtc import WebrtcNode
from sender_origin.api.main import GUARDED, public_routers
from sender_origin.ingest.rtmp.server import RtmpIngest
from sender_origin.ingest.srt.server import SrtIngest
from sender_origin.metrics import OriginMetrics
from sender_origin.settings import OriginSettings
from sender_origin.spool import spool_free_bytes, spool_writable
from sender_origin.streams.manager import StreamManager
from sender_origin.streams.retention import RetentionSweep
from sender_origin.viewer_counts import ViewerCounts
from sender_origin.webrtc.source import FlvSource

log = logging.getLogger(__name__)


class OriginRuntime(RoleRuntime[OriginSettings]):
    """The origin's parts; `children()` is the one list its lifespan runs."""

    role = "origin"

    def __init__(self, settings: OriginSettings, registry: CollectorRegistry) -> None:
        self.ffmpeg = resolve_ffmpeg(settings.ffmpeg_executable)  # before the data dir is touched
        super().__init__(settings, registry)
        self.viewers = Viewers(
            settings, self.role, registry, self.identity, known_endpoint=self._serves
        )
        self.metrics = OriginMetrics(registry)
        settings.spool_dir.mkdir(parents=True, exist_ok=True)
        self.metrics.spool_free_bytes.set_function(lambda: spool_free_bytes(settings.spool_dir))
        self.cache = SpoolCache(settings.spool_dir)
        self.manager = StreamManager(
            settings,
            self.db.engine,
            self.ffmpeg,
            self.cache,
            self.metrics,
            on_state=self._stream_state,
        )
        self.ingest = RtmpIngest(
            self.manager.authorize,
            host=settings.rtmp_host or settings.host,
            port=settings.rtmp_port,
            handshake_timeout=settings.rtmp_handshake_timeout,
            idle_timeout=settings.rtmp_idle_timeout,
        )
        self.srt = SrtIngest(
            functools.partial(self.manager.authorize, input_format="mpegts"),
            self.manager.admission,
            refused=lambda reason: self.metrics.publish_refused.labels(reason=reason).inc(),
            host=settings.rtmp_host or settings.host,
            port=settings.srt_port,
            idle_timeout=settings.srt_idle_timeout,
        )
        self.hls = HlsApp(
            self.cache,
            live=self.manager.playlists.live_playlist,
            live_now=self.manager.playlists.live_now,
            observer=self.viewers.observe,
            count_media=self.viewers.count_media,
            parts=self.manager.live.parts,
            part_wait=settings.hls.block_seconds,
            live_epoch=live_changes,
        )
        self.ticker = Periodic("stats", 0.5, self.manager.tick)
        self.retention = Periodic(
            "retention", settings.retention_check_seconds, RetentionSweep(self.manager)
        )
        self._recover_task: asyncio.Task[None] | None = None
        self.webrtc = WebrtcNode(settings, settings.host, self.viewers, self._playable)
        if settings.webrtc_enabled:
            hub = self.webrtc.hub
            self.manager.publishes.tap = lambda slug: FlvSource(hub, slug).tag

    async def _playable(self, slug: str) -> bool:
        """An endpoint a WHEP viewer may join (frames flow whenever it is live)."""
        try:
            await self.manager.runtimes.load(slug)
        except NotFoundError:
            return False
        return True

    def _serves(self, slug: str) -> bool:
        return self.manager.serves(slug)

    def _stream_state(
        self, slug: str, generation: int | None, state: SessionState, generation_open: bool
    ) -> None:
        data = StreamStateData(
            endpoint=slug,
            generation=generation,
            generation_open=generation_open,
            state=state,
            at=time.time(),
        )
        self.viewers.send_control("stream_state", data.model_dump(mode="json"))

    def children(self) -> list[Child]:
        # delivery (client, lanes) before media_sessions: it stops after it, so the states
        # of the sessions ended at shutdown still reach the metrics role
        return [
            self.db.child(),
            *self.viewers.delivery_children(),
            Child("media_sessions", self._recover_when_db_ready, self._stop_sessions),
            Child("ingest", self.ingest.start, self.ingest.stop),
            Child("srt_ingest", self.srt.start, self.srt.stop),
            self.ticker.child(),
            self.retention.child(),
            *self.webrtc.children(),
            *self.viewers.worker_children(),
        ]

    async def _recover_when_db_ready(self) -> None:
        async def _recover() -> None:
            await self.db.schema_ready.wait()
            await self.manager.recover()

        self._recover_task = asyncio.create_task(_recover(), name="recover")

    async def _stop_sessions(self) -> None:
        """A recovery still waiting for the database is cancelled before the sessions stop."""
        await cancel_and_wait(self._recover_task)
        await self.manager.shutdown()

    def install(self, app: FastAPI) -> None:
        super().install(app)
        self.webrtc.install(app)

    def routes(self) -> RoleRoutes:
        return RoleRoutes(
            guarded=GUARDED,
            public=public_routers(self.manager),
            viewers=self.viewers,
            state={
                "manager": self.manager,
                "viewer_counts": ViewerCounts(self.viewers, self.settings.api_token),
            },
        )

    def describe(self) -> dict[str, object]:
        return {
            "capabilities": [
                "rtmp_ingest",
                "srt_ingest",
                "hls",
                "renditions",
                "player",
                *(["whep"] if self.settings.webrtc_enabled else []),
            ],
            "rtmp_port": self.settings.rtmp_port,
            "srt_port": self.srt.port,
            "routes": [
                "/sender/hls",
                "/sender/player",
                "/sender/console",
                "/sender/api/v1/events",
                "/api/v1",
                *(["/sender/whep"] if self.settings.webrtc_enabled else []),
            ],
            "hls": hls_manifest(self.settings.hls),
        }

    async def readiness(self) -> dict[str, bool]:
        return {
            **await super().readiness(),
            "ffmpeg": bool(self.ffmpeg),
            "ingest": "ingest" in self.started and self.srt.running,
            "spool_writable": await asyncio.to_thread(
                spool_writable, self.settings.spool_dir, self.settings.spool_min_free_bytes
            ),
        }

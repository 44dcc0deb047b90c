"""Everything long-lived in the edge, owned by the app lifespan as named children."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from sender_common.children import Child, Periodic
from sender_common.hls.playlist.live import live_changes
from sender_common.hls.playlist.partstore import PartStore
from sender_common.hls.serve.app import HlsApp
from sender_common.hls.serve.spoolcache import SpoolCache
from sender_common.roles import RoleRoutes, RoleRuntime, hls_manifest
from sender_common.viewers import Viewers
from sender_common.webrtc import WebrtcNode
from sender_edge.api.main import GUARDED, public_routers
from sender_edge.edge_metrics import EdgeMetrics
from sender_edge.mirror.sessions.manager import EdgeManager
from sender_edge.mirror.upstream.policy import Resolver
from sender_edge.settings import EdgeSettings
from sender_edge.webrtc import UpstreamFeeds


class EdgeRuntime(RoleRuntime[EdgeSettings]):
    """The edge's parts; `children()` is the one list its lifespan runs."""

    role = "edge"

    def __init__(
        self,
        settings: EdgeSettings,
        registry: CollectorRegistry,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        super().__init__(settings, registry)
        self.viewers = Viewers(
            settings, self.role, registry, self.identity, known_endpoint=self._serves
        )
        self.metrics = EdgeMetrics(registry)
        settings.spool_dir.mkdir(parents=True, exist_ok=True)
        self.cache = SpoolCache(settings.spool_dir)
        self.parts = PartStore()  # LL-HLS parts of the newest segments, served from memory
        self.manager = EdgeManager(
            settings, self.db, self.cache, self.metrics, transport, resolver, parts=self.parts
        )
        self.metrics.watch_lag(self.manager.lags)
        self.hls = HlsApp(
            self.cache,
            live=self.manager.live_playlist,
            live_now=self.manager.live_now,
            on_miss=self.manager.on_miss,
            observer=self.viewers.observe,
            count_media=self.viewers.count_media,
            parts=self.parts,
            part_wait=settings.hls.block_seconds,
            on_file_miss=self.manager.dvr_file,
            live_epoch=live_changes,
        )
        self.reconciler = Periodic("reconcile", settings.reconcile_seconds, self.manager.reconcile)
        self.retention = Periodic("retention", settings.retention_check_seconds, self.manager.sweep)
        idle_check = min(5.0, max(0.2, settings.on_demand_idle_seconds / 4))
        self.idle = Periodic("on-demand-idle", idle_check, self.manager.stop_idle)
        self.webrtc = WebrtcNode(settings, settings.host, self.viewers, self._webrtc_knows)
        self.feeds = UpstreamFeeds(self.manager, self.webrtc.hub)
        self.webrtc.sessions.hooks.keep_feed = self.feeds.keep

    async def _webrtc_knows(self, slug: str) -> bool:
        return await self.feeds.knows(slug)

    def _serves(self, slug: str) -> bool:
        return self.manager.serves(slug)

    def children(self) -> list[Child]:
        return [
            self.db.child(),
            Child("mirrors", self.manager.start, self.manager.stop),
            self.reconciler.child(),
            self.retention.child(),
            self.idle.child(),
            *(self.feeds.children() if self.settings.webrtc_enabled else []),
            *self.webrtc.children(),
            *self.viewers.children(),
        ]

    def describe(self) -> dict[str, object]:
        return {
            "capabilities": [
                "hls_edge",
                "hls",
                "player",
                "on_demand",
                *(["whep"] if self.settings.webrtc_enabled else []),
            ],
            "upstream_url": self.settings.upstream_url,
            "routes": [
                "/sender/hls",
                "/sender/player",
                "/sender/api/v1/events",
                "/api/v1",
                *(["/sender/whep"] if self.settings.webrtc_enabled else []),
            ],
            "hls": hls_manifest(self.settings.hls),
        }

    def install(self, app: FastAPI) -> None:
        super().install(app)
        self.webrtc.install(app)

    def routes(self) -> RoleRoutes:
        return RoleRoutes(
            guarded=GUARDED,
            public=public_routers(self.manager),
            viewers=self.viewers,
            state={"manager": self.manager},
        )

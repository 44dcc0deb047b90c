"""Everything long-lived in the edge, owned by the app lifespan as named children."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from sender_common.children import Child, Periodic, run_children
from sender_common.database import DatabaseChild
from sender_common.hls.serving import HlsApp
from sender_common.hls.spoolcache import SpoolCache
from sender_edge.metrics import EdgeMetrics
from sender_edge.mirror.manager import EdgeManager
from sender_edge.settings import EdgeSettings


class EdgeRuntime:
    """The edge's parts; `children()` is the one list its lifespan runs."""

    def __init__(
        self,
        settings: EdgeSettings,
        registry: CollectorRegistry,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.db = DatabaseChild(settings)
        self.metrics = EdgeMetrics(registry)
        settings.spool_dir.mkdir(parents=True, exist_ok=True)
        self.cache = SpoolCache(settings.spool_dir)
        self.manager = EdgeManager(settings, self.db, self.cache, self.metrics, transport)
        self.hls = HlsApp(self.cache, live=self.manager.live_playlist, on_miss=self.manager.on_miss)
        self.reconciler = Periodic("reconcile", settings.reconcile_seconds, self.manager.reconcile)
        self.retention = Periodic("retention", settings.retention_check_seconds, self.manager.sweep)

    def children(self) -> list[Child]:
        return [
            self.db.child(),
            Child("mirrors", self.manager.start, self.manager.stop),
            self.reconciler.child(),
            self.retention.child(),
        ]

    def mount(self, app: FastAPI) -> None:
        """Attach routes that are not FastAPI routers (the HLS app, the player)."""
        app.state.manager = self.manager
        app.mount("/sender/hls", self.hls, name="hls")
        try:
            from sender_common.player import player_router
        except ImportError:  # pragma: no cover - the player ships with sender_common
            return
        app.include_router(player_router())

    async def readiness(self) -> dict[str, bool]:
        return {"database": await asyncio.to_thread(self.db.ready)}

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with run_children(self.children()):
            yield

"""Everything long-lived in the metrics role, owned by the app lifespan as named children."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

import sender_metrics.models  # noqa: F401  (registers the tables before the schema is made)
from sender_common.auth import AuthFailures
from sender_common.children import Child, Periodic
from sender_common.database import DatabaseChild
from sender_common.errors import install_error_handlers
from sender_common.node import NodeIdentity, node_router
from sender_common.roles import RoleRuntimeBase
from sender_common.viewers.labels import LabelCap
from sender_metrics.book import ViewerBook
from sender_metrics.ingest import IngestService
from sender_metrics.metrics import ServiceMetrics
from sender_metrics.settings import MetricsSettings
from sender_metrics.snapshots import SnapshotWorker
from sender_metrics.streams import StreamBook

ROLE = "metrics"


class MetricsRuntime(RoleRuntimeBase):
    """The metrics role's parts; `children()` is the one list its lifespan runs."""

    def __init__(self, settings: MetricsSettings, registry: CollectorRegistry) -> None:
        self.settings = settings
        self.auth_failures = AuthFailures(registry, "metrics")
        self.db = DatabaseChild(settings)
        self.identity = NodeIdentity.load_or_create(settings.data_dir, settings.node_name)
        self.book = ViewerBook(settings.idle_seconds)
        self.streams = StreamBook()
        self.metrics = ServiceMetrics(
            registry, self.book.counts, LabelCap(settings.endpoint_label_limit), self.streams
        )
        self.ingest = IngestService(
            settings, self.db.engine, self.book, self.metrics, streams=self.streams
        )
        self.snapshots = SnapshotWorker(
            self.db.engine,
            self.book,
            self.metrics,
            retention_seconds=settings.snapshot_retention_seconds,
            history_days=settings.history_retention_days,
            ready=self.db.schema_ready.is_set,
        )
        sweep_every = min(1.0, settings.snapshot_seconds / 4)
        self.sweeper = Periodic("viewers-sweep", sweep_every, self.book.sweep)
        self.snapshotter = Periodic("snapshots", settings.snapshot_seconds, self.snapshots.tick)
        self.started: list[str] = []

    def children(self) -> list[Child]:
        return [self.db.child(), self.sweeper.child(), self.snapshotter.child()]

    def install(self, app: FastAPI) -> None:
        """Add the metrics role's routes to `app` (its own or a host's)."""
        from sender_metrics.api.main import api_router  # the routes' deps import this module

        app.state.settings = self.settings
        app.state.engine = self.db.engine
        app.state.runtime = self
        install_error_handlers(app)
        app.include_router(api_router(self.settings.api_token, self.auth_failures))
        app.include_router(node_router(self.identity, ROLE, self.manifest))

    def describe(self) -> dict[str, object]:
        return {
            "capabilities": ["viewer_ingest", "viewer_history", "stream_state"],
            "routes": [
                "/api/v1/ingest/batches",
                "/api/v1/ingest/control",
                "/api/v1/endpoints/{endpoint}/viewers",
            ],
            "snapshot_seconds": self.settings.snapshot_seconds,
            "viewer_idle_seconds": self.settings.idle_seconds,
        }

    async def readiness(self) -> dict[str, bool]:
        return {
            "database": await asyncio.to_thread(self.db.ready),
            "workers": "snapshots" in self.started,
        }

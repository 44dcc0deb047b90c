"""Everything long-lived in the metrics role, owned by the app lifespan as named children."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

import sender_metrics.models  # noqa: F401  (registers the tables before the schema is made)
from sender_common.auth import AuthFailures
from sender_common.children import Child, Periodic
from sender_common.database import DatabaseChild
from sender_common.errors import install_error_handlers
from sender_common.node import NodeIdentity, node_router
from sender_common.roles import RoleRuntimeBase
from sender_common.viewers.labels import LabelCap
from sender_metrics.ingest import IngestService
from sender_metrics.metrics import ServiceMetrics
from sender_metrics.nodes import DatabaseNodes, NodeRegistry
from sender_metrics.replicas.shared import SharedState
from sender_metrics.settings import MetricsSettings
from sender_metrics.snapshots import SnapshotWorker
from sender_metrics.streams import StreamBook, StreamStore
from sender_metrics.viewers import ViewerBook, ViewerState

ROLE = "metrics"


class MetricsRuntime(RoleRuntimeBase):
    """The metrics role's parts; `children()` is the one list its lifespan runs."""

    def __init__(self, settings: MetricsSettings, registry: CollectorRegistry) -> None:
        self.settings = settings
        self.auth_failures = AuthFailures(registry, "metrics")
        self.db = DatabaseChild(settings)
        self.identity = NodeIdentity.load_or_create(settings.data_dir, settings.node_name)
        self.streams = StreamBook()
        self.shared: SharedState | None = None
        book: ViewerState
        nodes: NodeRegistry
        store: StreamStore
        exporting: Callable[[], bool]
        if settings.metrics_redis_url:  # replicas: everything shared lives in Redis
            self.shared = SharedState(
                settings.metrics_redis_url,
                settings.idle_seconds,
                self.identity.node_id,
                self.streams,
            )
            book, nodes, store = self.shared.viewers, self.shared.nodes, self.shared.streams
            exporting = self.shared.lease.holding
        else:
            book, nodes, store = (
                ViewerBook(settings.idle_seconds),
                DatabaseNodes(self.db.engine),
                self.streams,
            )
            exporting = _always
        self.book = book
        self.metrics = ServiceMetrics(
            registry,
            book.counts,
            LabelCap(settings.endpoint_label_limit),
            self.streams,
            exporting=exporting,
        )
        self.ingest = IngestService(settings, nodes, book, self.metrics, streams=store)
        self.snapshots = SnapshotWorker(
            self.db.engine,
            book,
            self.metrics,
            retention_seconds=settings.snapshot_retention_seconds,
            history_days=settings.history_retention_days,
            ready=self.db.schema_ready.is_set,
            leading=exporting,
        )
        sweep_every = min(1.0, settings.snapshot_seconds / 4)
        tick = self.shared.tick if self.shared else book.sweep
        self.sweeper = Periodic("viewers-sweep", sweep_every, tick)
        self.snapshotter = Periodic("snapshots", settings.snapshot_seconds, self.snapshots.tick)
        self.started: list[str] = []

    def children(self) -> list[Child]:
        shared = self.shared.children() if self.shared else []
        return [self.db.child(), *shared, self.sweeper.child(), self.snapshotter.child()]

    def install(self, app: FastAPI) -> None:
        """Add the metrics role's routes to `app` (its own or a host's)."""
        from sender_metrics.api.main import api_router  # the routes' deps import this module

        app.state.settings = self.settings
        app.state.engine = self.db.engine
        app.state.runtime = self
        install_error_handlers(app)
        app.add_exception_handler(RedisConnectionError, _redis_down)
        app.add_exception_handler(RedisTimeoutError, _redis_down)
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
            "shared_state": "redis" if self.shared else "process",
        }

    async def readiness(self) -> dict[str, bool]:
        checks = {
            "database": await asyncio.to_thread(self.db.ready),
            "workers": "snapshots" in self.started,
        }
        if self.shared is not None:
            checks["redis"] = await self.shared.conn.ready()
        return checks


def _always() -> bool:
    return True


async def _redis_down(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": f"shared viewer state unavailable: {type(exc).__name__}"},
        status_code=503,
        headers={"Retry-After": "2"},
    )

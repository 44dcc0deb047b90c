"""Everything long-lived in the metrics role, owned by the app lifespan as named children."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry

import sender_metrics.models  # noqa: F401  (registers the tables before the schema is made)
from sender_common.children import Child, Periodic
from sender_common.roles import RoleRoutes, RoleRuntime
from sender_common.viewers.labels import LabelCap
from sender_metrics.api.main import GUARDED, PUBLIC
from sender_metrics.ingest import IngestService
from sender_metrics.nodes import DatabaseNodes, NodeRegistry
from sender_metrics.service_metrics import ServiceMetrics
from sender_metrics.settings import MetricsSettings
from sender_metrics.snapshots import SnapshotWorker
from sender_metrics.stream_states import StreamBook, StreamStore
from sender_metrics.viewers import ViewerBook, ViewerState

if TYPE_CHECKING:
    from sender_metrics.replicas.shared import SharedState


class MetricsRuntime(RoleRuntime[MetricsSettings]):
    """The metrics role's parts; `children()` is the one list its lifespan runs."""

    role = "metrics"

    def __init__(self, settings: MetricsSettings, registry: CollectorRegistry) -> None:
        super().__init__(settings, registry)
        self.streams = StreamBook()
        self.shared: SharedState | None = None
        book: ViewerState
        nodes: NodeRegistry
        store: StreamStore
        exporting: Callable[[], bool]
        if settings.metrics_redis_url:  # replicas: everything shared lives in Redis
            from sender_metrics.replicas.shared import SharedState  # redis-py: replicas only

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

    def children(self) -> list[Child]:
        shared = self.shared.children() if self.shared else []
        return [self.db.child(), *shared, self.sweeper.child(), self.snapshotter.child()]

    def routes(self) -> RoleRoutes:
        return RoleRoutes(
            guarded=GUARDED,
            public=PUBLIC,
            state={"ingest": self.ingest, "viewers": self.book},
            dependencies=self.shared.dependencies if self.shared else {},
        )

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
        checks = {**await super().readiness(), "workers": "snapshots" in self.started}
        if self.shared is not None:
            checks["redis"] = await self.shared.conn.ready()
        return checks


def _always() -> bool:
    return True

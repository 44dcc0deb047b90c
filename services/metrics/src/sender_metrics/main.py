"""The metrics app: `uvicorn --factory sender_metrics.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from sender_common.roles import Role
from sender_metrics.lifespan import MetricsRuntime
from sender_metrics.settings import MetricsSettings

METRICS = Role(
    MetricsSettings,
    MetricsRuntime,
    description="Viewer batches from origins and edges, deduplicated counts, history.",
)


def create_app(settings: MetricsSettings | None = None) -> FastAPI:
    return METRICS.create_app(settings)


def mount_metrics(host: FastAPI, settings: MetricsSettings | None = None) -> MetricsRuntime:
    """Run the metrics role inside an existing FastAPI app: its routes are added to `host`
    and its children run in `host`'s lifespan."""
    return METRICS.mount(host, settings)

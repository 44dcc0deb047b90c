"""The metrics app: `uvicorn --factory sender_metrics.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from sender_common.auth import require_credentials_or_exit
from sender_common.compose import mount_role
from sender_common.logs import setup_logging
from sender_common.roles import build_app
from sender_metrics.lifespan import MetricsRuntime
from sender_metrics.settings import MetricsSettings


def create_app(settings: MetricsSettings | None = None) -> FastAPI:
    settings = settings or MetricsSettings()
    setup_logging(settings.log_level)
    require_credentials_or_exit(settings, "metrics")
    registry = CollectorRegistry()
    runtime = MetricsRuntime(settings, registry)
    return build_app(
        runtime,
        registry,
        title="Sender metrics",
        description="Viewer batches from origins and edges, deduplicated counts, history.",
    )


def mount_metrics(host: FastAPI, settings: MetricsSettings | None = None) -> MetricsRuntime:
    """Run the metrics role inside an existing FastAPI app: its routes are added to `host`
    and its children run in `host`'s lifespan."""
    runtime = MetricsRuntime(settings or MetricsSettings(), CollectorRegistry())
    mount_role(host, runtime)
    return runtime

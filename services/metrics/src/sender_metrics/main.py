"""The metrics app: `uvicorn --factory sender_metrics.main:create_app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from sender_common.api import health_router, instrument
from sender_common.errors import install_error_handlers
from sender_common.logs import setup_logging
from sender_metrics.api.main import api_router
from sender_metrics.lifespan import MetricsRuntime
from sender_metrics.settings import MetricsSettings


def create_app(settings: MetricsSettings | None = None) -> FastAPI:
    settings = settings or MetricsSettings()
    setup_logging(settings.log_level)
    registry = CollectorRegistry()
    runtime = MetricsRuntime(settings, registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.running(app):
            yield

    app = FastAPI(
        title="Sender metrics",
        version="0.1.0",
        lifespan=lifespan,
        description="Viewer batches from origins and edges, deduplicated counts, history.",
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(health_router(runtime.readiness))
    app.include_router(api_router(settings.api_token))
    runtime.mount(app)
    instrument(app, registry)
    return app

"""The origin app: `uvicorn --factory sender_origin.main:create_app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from sender_common.api import health_router, instrument
from sender_common.errors import install_error_handlers
from sender_common.logs import setup_logging
from sender_origin.api.main import api_router
from sender_origin.lifespan import OriginRuntime
from sender_origin.settings import OriginSettings

ROLE = "origin"


def create_app(settings: OriginSettings | None = None) -> FastAPI:
    settings = settings or OriginSettings()
    setup_logging(settings.log_level)
    registry = CollectorRegistry()
    runtime = OriginRuntime(settings, registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.running(app):
            yield

    app = FastAPI(
        title="Sender origin",
        version="0.1.0",
        lifespan=lifespan,
        description="RTMP ingest, HLS packaging and serving, stream management.",
    )
    app.state.settings = settings
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(health_router(runtime.readiness))
    app.include_router(api_router(settings.api_token))
    runtime.mount(app)
    instrument(app, registry)
    return app

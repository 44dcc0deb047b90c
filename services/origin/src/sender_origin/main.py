"""The origin app: `uvicorn --factory sender_origin.main:create_app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from sender_common.api import health_router, instrument
from sender_common.compose import mount_role
from sender_common.hls.serving import HlsFastPath
from sender_common.logs import setup_logging
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
    app.include_router(health_router(runtime.readiness))
    runtime.install(app)
    instrument(app, registry)
    app.add_middleware(HlsFastPath, hls=runtime.hls)  # added last: outermost
    return app


def mount_origin(host: FastAPI, settings: OriginSettings | None = None) -> OriginRuntime:
    """Run the origin inside an existing FastAPI app: its routes (`/api/v1/...`,
    `/sender/hls`, `/sender/player`) are added and its children run in `host`'s lifespan."""
    runtime = OriginRuntime(settings or OriginSettings(), CollectorRegistry())
    mount_role(host, runtime)
    return runtime

"""The edge app: `uvicorn --factory sender_edge.main:create_app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from sender_common.api import health_router, instrument
from sender_common.errors import install_error_handlers
from sender_common.hls.serving import HlsFastPath
from sender_common.logs import setup_logging
from sender_edge.api.main import api_router
from sender_edge.lifespan import EdgeRuntime
from sender_edge.settings import EdgeSettings


def create_app(
    settings: EdgeSettings | None = None, *, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    settings = settings or EdgeSettings()
    setup_logging(settings.log_level)
    registry = CollectorRegistry()
    runtime = EdgeRuntime(settings, registry, transport)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        del app
        async with runtime.running():
            yield

    app = FastAPI(
        title="Sender edge",
        version="0.1.0",
        lifespan=lifespan,
        description="Mirrors upstream HLS into a local spool and serves the same URL space.",
    )
    app.state.settings = settings
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(health_router(runtime.readiness))
    app.include_router(api_router(settings.api_token))
    runtime.mount(app)
    instrument(app, registry)
    app.add_middleware(HlsFastPath, hls=runtime.hls)  # added last: outermost
    return app

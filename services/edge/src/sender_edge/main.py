"""The edge app: `uvicorn --factory sender_edge.main:create_app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from sender_common.api import health_router, instrument
from sender_common.compose import mount_role
from sender_common.hls.serving import HlsFastPath
from sender_common.logs import setup_logging
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
        async with runtime.running(app):
            yield

    app = FastAPI(
        title="Sender edge",
        version="0.1.0",
        lifespan=lifespan,
        description="Mirrors upstream HLS into a local spool and serves the same URL space.",
    )
    app.state.runtime = runtime
    app.include_router(health_router(runtime.readiness))
    runtime.install(app)
    instrument(app, registry)
    app.add_middleware(HlsFastPath, hls=runtime.hls)  # added last: outermost
    return app


def mount_edge(host: FastAPI, settings: EdgeSettings | None = None) -> EdgeRuntime:
    """Run the edge inside an existing FastAPI app: its routes are added to `host` and its
    children run in `host`'s lifespan."""
    runtime = EdgeRuntime(settings or EdgeSettings(), CollectorRegistry())
    mount_role(host, runtime)
    return runtime
